// History: a month as a calendar and a list, the month's summary, and one day's detail with
// its explanation, checkpoints and punches (thumbnails fetched with the token).
(function (H) {
  'use strict';
  var $ = H.$, el = H.el;
  var month = null;   // "YYYY-MM" shown
  var data = null;    // the last /me/days answer
  var objectUrls = [];

  var STATUS = {
    HADIR: 'Hadir', TK: 'Tanpa keterangan (TK)', LIBUR: 'Libur', BELUM_SELESAI: 'Belum selesai',
    BELUM_AKTIF: 'Belum aktif', IZIN: 'Izin', SAKIT: 'Sakit', CUTI_TAHUNAN: 'Cuti tahunan',
    CUTI_SAKIT: 'Cuti sakit', CUTI_BESAR: 'Cuti besar', CUTI_MELAHIRKAN: 'Cuti melahirkan',
    CUTI_ALASAN_PENTING: 'Cuti alasan penting', CLTN: 'Cuti di luar tanggungan negara',
    DL: 'Dinas luar', DIKLAT: 'Diklat', TUGAS_BELAJAR: 'Tugas belajar'
  };
  var SHORT = { HADIR: 'H', TK: 'TK', LIBUR: 'L', BELUM_SELESAI: '', BELUM_AKTIF: '–', IZIN: 'I', SAKIT: 'S', DL: 'DL', DIKLAT: 'DK', TUGAS_BELAJAR: 'TB', CLTN: 'CLTN' };
  var OUTCOME = {
    on_time: ['Tepat waktu', 'pill-ok'], late: ['Terlambat', 'pill-late'], early: ['Pulang cepat', 'pill-late'],
    present: ['Hadir', 'pill-ok'], missing: ['Tidak absen', 'pill-bad'], pending: ['Belum', 'pill-wait'],
    excused: ['Dimaafkan', 'pill-info']
  };
  var SOURCES = { mobile: 'Aplikasi', special: 'Absen khusus', terminal: 'Mesin sidik jari', relay: 'Mesin sidik jari', manual: 'Manual', correction: 'Koreksi' };
  H.statusLabel = function (s) { return STATUS[s] || s; };

  function codes(day) {
    return (day.checkpoints || []).map(function (c) { return c.code; }).filter(Boolean);
  }

  // [css class, short label] for a day's cell.
  function look(day) {
    var s = day.status;
    // One code fits a cell at a readable size; the list and the detail show them all.
    if (s === 'HADIR') { var c = codes(day); return c.length ? ['st-late', c[0]] : ['st-ok', 'H']; }
    if (s === 'TK') return ['st-bad', 'TK'];
    if (s === 'LIBUR' || s === 'BELUM_AKTIF') return ['st-off', SHORT[s]];
    if (s === 'BELUM_SELESAI') return ['', ''];
    return ['st-leave', SHORT[s] || (s.indexOf('CUTI') === 0 ? 'C' : s)];
  }

  function currentMonth() { return H.todayIso().slice(0, 7); }

  function shiftMonth(ym, n) {
    var p = ym.split('-').map(Number), d = new Date(Date.UTC(p[0], p[1] - 1 + n, 1));
    return d.getUTCFullYear() + '-' + String(d.getUTCMonth() + 1).padStart(2, '0');
  }

  function load(ym) {
    month = ym;
    $('month-title').textContent = H.monthTitle(ym);
    $('month-next').disabled = ym >= currentMonth();
    H.showError('history-error', '');
    // The previous month's numbers must never sit under the new month's title while it loads.
    $('summary').hidden = true;
    H.clear($('calendar')); H.clear($('day-list'));
    return H.api.get('/api/v1/me/days?month=' + ym).then(function (d) {
      if (month !== ym) return;
      data = d;
      render();
    }, function (e) {
      if (month !== ym) return;
      data = null;
      H.clear($('calendar')); H.clear($('day-list')); $('summary').hidden = true;
      H.showError('history-error', e.message);
    });
  }

  function render() {
    var days = data.days || [];
    var byDate = {};
    days.forEach(function (d) { byDate[d.date] = d; });
    var cal = H.clear($('calendar'));
    ['Sen', 'Sel', 'Rab', 'Kam', 'Jum', 'Sab', 'Min'].forEach(function (d) {
      cal.appendChild(el('div', { className: 'dow', 'aria-hidden': 'true' }, [d]));
    });
    var p = month.split('-').map(Number);
    var first = new Date(Date.UTC(p[0], p[1] - 1, 1)).getUTCDay(); // 0 = Sunday
    var count = new Date(Date.UTC(p[0], p[1], 0)).getUTCDate();
    for (var i = 0; i < (first + 6) % 7; i++) cal.appendChild(el('div'));
    var today = H.todayIso();
    for (var n = 1; n <= count; n++) {
      var iso = month + '-' + String(n).padStart(2, '0');
      var day = byDate[iso];
      if (!day) { cal.appendChild(el('div', { className: 'dow' }, [String(n)])); continue; }
      var lk = look(day);
      var b = el('button', {
        type: 'button', className: lk[0] + (iso === today ? ' today' : ''),
        'aria-label': H.longDate(iso) + ': ' + H.statusLabel(day.status) + (codes(day).length ? ' ' + codes(day).join(', ') : '')
      }, [el('span', { className: 'd' }, [String(n)]), el('span', { className: 'c' }, [lk[1]])]);
      b.dataset.date = iso;
      cal.appendChild(b);
    }
    // Newest first, from today back: days still to come are in the calendar only.
    var list = H.clear($('day-list'));
    days.slice().reverse().forEach(function (day) {
      if (day.status === 'BELUM_AKTIF' || day.date > today) return;
      var lk = look(day);
      var times = (day.checkpoints || []).map(function (c) { return c.punch ? c.punch.time : '–'; }).join(' / ');
      if (times && day.zone) times += ' ' + day.zone;
      var right = [H.statusLabel(day.status)];
      if (codes(day).length) right.push(codes(day).join(' '));
      var b = el('button', { type: 'button' }, [
        el('span', {}, [el('strong', {}, [H.longDate(day.date)]), el('br'), el('span', { className: 'small muted' }, [times])]),
        el('span', { className: 'pill ' + (lk[0] || 'pill-wait').replace('st-', 'pill-').replace('pill-off', 'pill-wait').replace('pill-leave', 'pill-info') }, [right.join(' · ')])
      ]);
      b.dataset.date = day.date;
      list.appendChild(el('li', {}, [b]));
    });
    renderSummary(data.summary);
  }

  // The month's recap (GET /api/v1/me/days `summary`) in plain words. [field, label, unit, always]
  var SUMMARY = [
    ['working_days', 'Hari kerja', ' hari', true], ['present', 'Hadir', ' hari', true],
    ['duty', 'Dinas luar/diklat', ' hari'], ['leave', 'Cuti, izin, sakit', ' hari'],
    ['tk', 'Tanpa keterangan (TK)', ' hari', true], ['late', 'Terlambat', ' hari'],
    ['early_leave', 'Pulang cepat', ' hari'], ['missing_check_in', 'Tidak absen masuk', ' hari'],
    ['missing_check_out', 'Tidak absen pulang', ' hari'], ['pending', 'Belum berjalan/selesai', ' hari'],
    ['deduction_percent', 'Potongan TPP', '%', true]
  ];
  function renderSummary(s) {
    var box = H.clear($('summary'));
    if (!s) { box.hidden = true; return; }
    var dl = el('dl');
    SUMMARY.forEach(function (f) {
      var v = s[f[0]];
      if (v == null || typeof v === 'object' || (!f[3] && !Number(v))) return;
      dl.appendChild(el('dt', {}, [f[1]]));
      dl.appendChild(el('dd', {}, [f[2] === '%' ? H.percent(v) : v + f[2]]));
    });
    var codes = Object.keys(s.codes || {}).filter(function (k) { return s.codes[k] > 0; })
      .map(function (k) { return k + ' × ' + s.codes[k]; });
    box.appendChild(el('h3', {}, ['Ringkasan bulan ini']));
    box.appendChild(dl);
    if (codes.length) box.appendChild(el('p', { className: 'small' }, ['Kode: ' + codes.join(', ')]));
    if (s.trial_mode) box.appendChild(el('p', { className: 'small muted' }, ['Masa uji coba: potongan dihitung, belum diterapkan.']));
    else if (s.deduction_applied_percent != null && Number(s.deduction_applied_percent) !== Number(s.deduction_percent)) {
      box.appendChild(el('p', { className: 'small muted' }, ['Potongan yang diterapkan: ' + H.percent(s.deduction_applied_percent) + '.']));
    }
    // In rupiah where the TPP base is known: what is taken from this month's TPP.
    if (s.deduction_rupiah != null) {
      var applied = s.deduction_applied_rupiah != null ? s.deduction_applied_rupiah : s.deduction_rupiah;
      dl.appendChild(el('dt', {}, ['Potongan TPP (rupiah)']));
      dl.appendChild(el('dd', { id: 'summary-rupiah' }, [H.rupiah(applied)]));
      box.appendChild(el('p', { className: 'small muted' }, ['Dari TPP ' + H.rupiah(s.tpp_base) + ' per bulan; persentase potongan berlaku atas bagian kehadiran (' +
        H.percent(s.tpp_attendance_share) + ' dari TPP).']));
    }
    box.hidden = !dl.firstChild;
  }

  // ---- one day ----------------------------------------------------------------------------
  function showDay(iso) {
    objectUrls.forEach(URL.revokeObjectURL); objectUrls = [];
    shownDay = null;
    $('day-title').textContent = iso ? H.longDate(iso) : '';
    H.clear($('day-checkpoints')); H.clear($('day-punches'));
    $('day-status').textContent = ''; $('day-explanation').textContent = '';
    if (!iso) return;
    var ym = iso.slice(0, 7);
    var ready = data && month === ym ? Promise.resolve() : load(ym);
    var dayShown = ready.then(function () {
      var day = data && (data.days || []).filter(function (d) { return d.date === iso; })[0];
      if (!day) { $('day-explanation').textContent = 'Data hari ini tidak tersedia.'; return; }
      renderDay(day);
    });
    // Fetched alongside the month; drawn after the day so ignored punches can say why.
    var who = H.app.user ? '&employee=' + encodeURIComponent(H.app.user.username) : '';
    var punches = H.api.get('/api/v1/punches?from=' + iso + '&to=' + iso + who);
    Promise.all([punches, dayShown]).then(function (r) {
      if (location.hash.split('/')[2] === iso) renderPunches(r[0]);
    }, function (e) {
      $('day-punches').appendChild(el('li', { className: 'error' }, [e.message]));
    });
  }

  var shownDay = null;

  function renderDay(day) {
    shownDay = day;
    var status = H.statusLabel(day.status);
    if (day.holiday && day.holiday.name) status += ' — ' + day.holiday.name;
    if (day.deduction && Number(day.deduction) > 0) status += ' · potongan ' + H.percent(day.deduction);
    $('day-status').textContent = status;
    $('day-explanation').textContent = day.explanation || '';
    var ul = H.clear($('day-checkpoints'));
    var zone = day.zone ? ' ' + day.zone : '';
    // Name and verdict on one line, the explanation below at full width (readable at 360 px).
    (day.checkpoints || []).forEach(function (c) {
      var o = OUTCOME[c.outcome] || [c.outcome, 'pill-wait'];
      var label = (c.punch ? c.punch.time + zone + ' · ' : '') + o[0] + (c.code ? ' (' + c.code + ')' : '');
      ul.appendChild(el('li', {}, [
        el('div', { className: 'cp-head' }, [
          el('span', { className: 'cp-name' }, [H.cpName(c.name)]),
          el('span', { className: 'pill ' + o[1] }, [label])
        ]),
        el('p', { className: 'cp-expl' }, ['Batas ' + c.due + zone + (c.explanation ? ' — ' + c.explanation : '')])
      ]));
    });
  }

  function renderPunches(r) {
    var ul = H.clear($('day-punches'));
    var items = (r && r.items) || [];
    if (!items.length) ul.appendChild(el('li', { className: 'muted' }, ['Tidak ada rekaman absen.']));
    items.forEach(function (p) {
      var img = el('img', { alt: 'Swafoto pukul ' + H.clock(p.punched_at), width: 64, height: 64 });
      if (p.thumb_url) {
        H.api.imageUrl(p.thumb_url).then(function (u) { objectUrls.push(u); img.src = u; }, function () {});
      } else {
        img.alt = ''; img.hidden = true;
      }
      var where = p.location ? p.location + (p.distance_m != null ? ' (' + H.metres(p.distance_m) + ')' : '') : '';
      // Whether it counts: dihitung, menunggu pemeriksaan atasan, or ditolak (with the note).
      var review = '';
      if (p.state === 'pending') review = 'Menunggu pemeriksaan atasan' + (p.review_detail ? ' (' + p.review_detail + ')' : '');
      else if (p.state === 'rejected') review = 'Ditolak' + (p.decision_note ? ': ' + p.decision_note : '');
      else if (p.state === 'quarantined') review = 'Menunggu persetujuan mesin';
      else if (p.decided_by) review = 'Diterima oleh pemeriksa' + (p.decision_note ? ': ' + p.decision_note : '');
      else if (p.review_detail) review = p.review_detail;
      // Why a punch did not count (outside every window, a duplicate, a day off…).
      var ignored = shownDay && (shownDay.ignored_punches || []).filter(function (i) { return i.punch && i.punch.punch_id === p.id; })[0];
      if (ignored) review = [review, 'Tidak dihitung: ' + ignored.explanation].filter(Boolean).join(' · ');
      // Retention (UU 27/2022): the selfie and position are deleted after their period.
      var purged = [p.photo_purged ? 'swafoto' : '', p.position_purged ? 'lokasi' : ''].filter(Boolean).join(' dan ');
      if (purged) review = [review, purged.charAt(0).toUpperCase() + purged.slice(1) + ' sudah dihapus (masa simpan berakhir)'].filter(Boolean).join(' · ');
      ul.appendChild(el('li', {}, [img, el('span', { className: 'grow' }, [
        el('strong', {}, [H.clock(p.punched_at) + (shownDay && shownDay.zone ? ' ' + shownDay.zone : '') + ' · ' + (SOURCES[p.source] || p.source)]), ' ',
        el('span', { className: 'pill ' + ({ pending: 'pill-wait', rejected: 'pill-bad', quarantined: 'pill-wait' }[p.state] || 'pill-ok') }, [p.state_label || 'dihitung']), el('br'),
        el('span', { className: 'small muted' }, [[where, p.note, review].filter(Boolean).join(' · ')])
      ])]));
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    $('month-prev').addEventListener('click', function () { H.app.go('#/riwayat/' + shiftMonth(month, -1)); });
    $('month-next').addEventListener('click', function () { H.app.go('#/riwayat/' + shiftMonth(month, 1)); });
    var open = function (ev) {
      var b = ev.target.closest('button[data-date]');
      if (b) H.app.go('#/hari/' + b.dataset.date);
    };
    $('calendar').addEventListener('click', open);
    $('day-list').addEventListener('click', open);
    $('day-back').addEventListener('click', function () { H.app.go('#/riwayat/' + (month || currentMonth())); });
    $('day-object').addEventListener('click', function () {
      var iso = location.hash.split('/')[2];
      H.app.go('#/pengajuan/baru/KEBERATAN/' + iso);
    });
  });

  H.app.register('history', { enter: function (ym) { load(/^\d{4}-\d{2}$/.test(ym || '') ? ym : currentMonth()); } });
  H.app.register('day', { enter: showDay });
})(self.H = self.H || {});
