// Requests: leave, izin, sakit, duty away, and objections to a day (from the day's detail),
// with attachments from the camera or from files; "my requests" with their states.
(function (H) {
  'use strict';
  var $ = H.$, el = H.el;
  var attachments = [];   // [{name, blob}]
  var cam = null;
  var objectionDay = null;
  var created = null;     // the request made by this form, so a retry only re-sends attachments

  var TYPES = [
    ['CUTI_TAHUNAN', 'Cuti tahunan'], ['IZIN', 'Izin'], ['SAKIT', 'Sakit'], ['CUTI_SAKIT', 'Cuti sakit'],
    ['CUTI_ALASAN_PENTING', 'Cuti alasan penting'], ['CUTI_MELAHIRKAN', 'Cuti melahirkan'], ['CUTI_BESAR', 'Cuti besar'],
    ['DINAS_LUAR', 'Dinas luar'], ['DIKLAT', 'Diklat'], ['KEBERATAN', 'Keberatan atas rekap hari']
  ];
  var EXTRA_LABELS = { DL: 'Dinas luar', UPACARA: 'Upacara', TUGAS_BELAJAR: 'Tugas belajar', CLTN: 'Cuti di luar tanggungan negara', MANUAL: 'Presensi manual', OUTAGE: 'Gangguan' };
  var TYPE_LABEL = {};
  TYPES.forEach(function (t) { TYPE_LABEL[t[0]] = t[1]; });
  Object.keys(EXTRA_LABELS).forEach(function (k) { TYPE_LABEL[k] = EXTRA_LABELS[k]; });
  var STATES = {
    draft: ['Draf', 'pill-wait'], submitted: ['Menunggu keputusan', 'pill-late'], pending: ['Menunggu keputusan', 'pill-late'],
    approved: ['Disetujui', 'pill-ok'], rejected: ['Ditolak', 'pill-bad'], cancelled: ['Dibatalkan', 'pill-wait'], canceled: ['Dibatalkan', 'pill-wait']
  };

  // ---- my requests ------------------------------------------------------------------------
  function loadList() {
    H.showError('requests-error', '');
    var ul = H.clear($('request-list'));
    H.api.get('/api/v1/me/leave-balance').then(function (b) {
      $('leave-balance').textContent = 'Sisa cuti tahunan ' + b.year + ': ' + b.remaining + ' hari' +
        (b.pending ? ' (' + b.pending + ' hari menunggu keputusan)' : '') + '.';
    }, function () { $('leave-balance').textContent = ''; });
    H.api.get('/api/v1/requests?mine=true').then(function (r) {
      var items = Array.isArray(r) ? r : (r && r.items) || [];
      if (!items.length) ul.appendChild(el('li', { className: 'muted' }, ['Belum ada pengajuan.']));
      items.forEach(function (q) { ul.appendChild(requestItem(q)); });
    }, function (e) {
      H.showError('requests-error', e.status === 404 ? 'Fitur pengajuan belum tersedia di server ini.' : e.message);
    });
  }

  function requestItem(q) {
    var st = STATES[q.state] || [q.state, 'pill-wait'];
    var dates = q.date_from === q.date_to || !q.date_to ? H.longDate(q.date_from) : H.longDate(q.date_from) + ' s.d. ' + H.longDate(q.date_to);
    if (q.days) dates += ' (' + q.days + ' hari kerja)';
    var files = (q.attachments || []).length;
    var li = el('li', {}, [
      el('div', { className: 'req-head' }, [el('span', {}, [TYPE_LABEL[q.type] || q.type]), el('span', { className: 'pill ' + st[1] }, [st[0]])]),
      el('div', { className: 'small' }, [dates]),
      q.reason ? el('div', { className: 'small muted' }, [q.reason]) : null,
      files ? el('div', { className: 'small muted' }, [files + ' lampiran']) : null,
      q.evidence_required && !files && (q.state === 'submitted' || q.state === 'draft')
        ? el('div', { className: 'small error' }, ['Perlu bukti (mis. surat dokter): lampirkan lewat pengajuan baru atau hubungi atasan.']) : null,
      q.decision_comment ? el('div', { className: 'small' }, ['Catatan atasan: ' + q.decision_comment]) : null
    ]);
    if (q.state === 'submitted' || q.state === 'draft') {
      var cancel = el('button', { type: 'button', className: 'btn btn-ghost', textContent: 'Batalkan' });
      cancel.addEventListener('click', function () {
        if (!window.confirm('Batalkan pengajuan ini?')) return;
        cancel.disabled = true;
        H.api.post('/api/v1/requests/' + q.id + '/cancel', {}).then(loadList, function (e) {
          cancel.disabled = false;
          H.showError('requests-error', e.message);
        });
      });
      li.appendChild(cancel);
    }
    return li;
  }

  // ---- the form ---------------------------------------------------------------------------
  function enterForm(arg) {
    var type = (arg && arg.type) || 'CUTI_TAHUNAN';
    objectionDay = type === 'KEBERATAN' ? (arg && arg.day) || H.todayIso() : null;
    var sel = H.clear($('req-type'));
    TYPES.forEach(function (t) {
      if (t[0] === 'KEBERATAN' && !objectionDay) return; // objections start from a day's detail
      sel.appendChild(el('option', { value: t[0], textContent: t[1], selected: t[0] === type }));
    });
    sel.disabled = !!objectionDay;
    $('req-title').textContent = objectionDay ? 'Keberatan: ' + H.longDate(objectionDay) : 'Pengajuan baru';
    $('req-reason-label').textContent = objectionDay ? 'Alasan keberatan (mis. jam absen yang benar dan sebabnya)' : 'Alasan';
    var d = objectionDay || H.todayIso();
    $('req-from').value = d; $('req-to').value = d;
    $('req-from').disabled = $('req-to').disabled = !!objectionDay;
    // An objection may name the checkpoint and the time the employee was there: it prefills
    // the head's correction.
    $('req-claim').hidden = !objectionDay;
    $('req-claim-time').value = '';
    $('req-claim-cp').value = 'masuk';
    $('req-reason').value = '';
    $('req-files').value = '';
    attachments = [];
    created = null;
    renderAttachments();
    H.showError('req-error', '');
  }

  function renderAttachments() {
    var ul = H.clear($('req-attachments'));
    attachments.forEach(function (a, i) {
      var rm = el('button', { type: 'button', className: 'btn btn-ghost', textContent: 'Hapus', 'aria-label': 'Hapus lampiran ' + a.name });
      rm.addEventListener('click', function () { attachments.splice(i, 1); renderAttachments(); });
      ul.appendChild(el('li', {}, [el('span', {}, [a.name + ' (' + Math.ceil(a.blob.size / 1024) + ' KB)']), rm]));
    });
  }

  function submit(ev) {
    ev.preventDefault();
    var body = {
      type: $('req-type').value, date_from: $('req-from').value, date_to: $('req-to').value,
      reason: $('req-reason').value.trim()
    };
    if (objectionDay) {
      body.type = 'KEBERATAN'; body.day = objectionDay; body.date_from = body.date_to = objectionDay;
      if ($('req-claim-time').value) { body.start = $('req-claim-time').value; body.checkpoints = [$('req-claim-cp').value]; }
    }
    if (!body.date_from || !body.date_to) return H.showError('req-error', 'Isi tanggal.');
    if (body.date_to < body.date_from) return H.showError('req-error', 'Tanggal akhir tidak boleh sebelum tanggal awal.');
    if (!body.reason) return H.showError('req-error', 'Tulis alasannya.');
    var btn = $('req-submit');
    btn.disabled = true; btn.textContent = 'Mengirim…';
    H.showError('req-error', '');
    var sentFiles = attachments.length;
    var create = created ? Promise.resolve(created) : H.api.post('/api/v1/requests', body);
    create.then(function (r) {
      created = r;
      return uploadAll(r.id).then(function () { return r; });
    }).then(function (r) {
      H.app.toast('Pengajuan terkirim dan menunggu keputusan.' +
        (r.evidence_required && !sentFiles ? ' Jenis ini memerlukan bukti: lampirkan dokumennya.' : ''));
      H.app.go('#/pengajuan');
    }, function (e) {
      H.showError('req-error', e.status === 404 ? 'Fitur pengajuan belum tersedia di server ini.' : e.message);
    }).then(function () { btn.disabled = false; btn.textContent = 'Kirim pengajuan'; });
  }

  // Attachments go one by one after the request exists, so a failed upload can be retried
  // without filing the request twice.
  function uploadAll(id) {
    return attachments.slice().reduce(function (p, a) {
      return p.then(function () {
        var f = new FormData();
        f.append('file', a.blob, a.name);
        return H.api.post('/api/v1/requests/' + encodeURIComponent(id) + '/attachments', f).then(function () {
          attachments.splice(attachments.indexOf(a), 1);
          renderAttachments();
        }, function (e) {
          // The request exists already: say which file failed rather than "request failed".
          throw new H.ApiError(e.status, e.code, 'Pengajuan tersimpan, tetapi lampiran ' + a.name + ' gagal dikirim: ' + e.message);
        });
      });
    }, Promise.resolve());
  }

  // ---- attachment camera (the back camera: documents, letters) -------------------------------
  function enterCamera() {
    H.showError('att-error', '');
    cam = cam || new H.Camera($('att-video'));
    cam.start('environment').catch(function (e) { H.showError('att-error', e.message); });
  }

  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('[data-new-request]').forEach(function (b) {
      b.addEventListener('click', function () { H.app.go('#/pengajuan/baru/' + b.dataset.newRequest); });
    });
    $('req-back').addEventListener('click', function () { history.back(); });
    $('req-form').addEventListener('submit', submit);
    $('req-files').addEventListener('change', function () {
      Array.prototype.forEach.call($('req-files').files, function (f) { attachments.push({ name: f.name, blob: f }); });
      $('req-files').value = '';
      renderAttachments();
    });
    $('req-camera').addEventListener('click', function () {
      $('screen-request-form').hidden = true; // keep the form's state: not a route change
      $('screen-attach-camera').hidden = false;
      document.body.setAttribute('data-screen', 'attach-camera');
      enterCamera();
    });
    var backToForm = function () {
      if (cam) cam.stop();
      $('screen-attach-camera').hidden = true;
      $('screen-request-form').hidden = false;
      document.body.setAttribute('data-screen', 'request-form');
    };
    $('att-cancel').addEventListener('click', backToForm);
    $('att-shoot').addEventListener('click', function () {
      cam.capture().then(function (blob) {
        attachments.push({ name: 'foto-' + (attachments.length + 1) + '.jpg', blob: blob });
        renderAttachments();
        backToForm();
      }, function (e) { H.showError('att-error', e.message); });
    });
  });

  H.app.register('requests', { enter: loadList });
  H.app.register('request-form', { enter: enterForm, leave: function () { if (cam) cam.stop(); } });
})(self.H = self.H || {});
