// Laporan kinerja harian (issue 22): the day's activities, filed and edited by the employee
// until the head validates them; offered after the check-out.
(function (H) {
  'use strict';
  var $ = H.$, el = H.el;
  var editing = null; // the activity being edited, or null for a new one

  function localToday() {
    var d = new Date();
    return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0') + '-' + String(d.getDate()).padStart(2, '0');
  }

  function duration(min) {
    var h = Math.floor(min / 60), m = min % 60;
    return (h ? h + ' jam ' : '') + (m ? m + ' menit' : (h ? '' : '0 menit'));
  }

  function resetForm() {
    editing = null;
    $('kin-form').reset();
    $('kin-form-title').textContent = 'Tambah kegiatan';
    $('kin-submit').textContent = 'Simpan kegiatan';
    $('kin-cancel-edit').hidden = true;
    H.showError('kin-error', '');
  }

  function edit(a) {
    editing = a;
    $('kin-desc').value = a.description;
    $('kin-output').value = a.output;
    $('kin-volume').value = a.volume;
    $('kin-unit').value = a.volume_unit;
    $('kin-start').value = a.start;
    $('kin-end').value = a.end;
    $('kin-form-title').textContent = 'Ubah kegiatan';
    $('kin-submit').textContent = 'Simpan perubahan';
    $('kin-cancel-edit').hidden = false;
    $('kin-desc').focus();
  }

  function load() {
    var date = $('kin-date').value || localToday();
    var ul = H.clear($('kin-list'));
    return H.api.get('/api/v1/me/activities?date=' + encodeURIComponent(date)).then(function (r) {
      var items = r.items || [];
      $('kin-total').textContent = items.length ?
        items.length + ' kegiatan, ' + duration(r.minutes) + ' (disetujui ' + duration(r.approved_minutes) + ').' :
        'Belum ada kegiatan pada tanggal ini.';
      items.forEach(function (a) {
        var li = el('li', { className: 'card activity state-' + a.state, dataset: { testid: 'activity', id: String(a.id) } }, [
          el('div', { className: 'small muted' }, [a.start + '–' + a.end + ' · ' + a.state_label]),
          el('strong', {}, [a.description]),
          el('div', {}, ['Hasil: ' + a.volume + ' ' + a.volume_unit + ' ' + a.output]),
          a.note ? el('div', { className: 'error' }, ['Catatan atasan: ' + a.note]) : null,
          a.attachment_name ? el('div', { className: 'small muted' }, ['Lampiran: ' + a.attachment_name]) : null
        ]);
        if (a.can_edit) {
          var b = el('button', { type: 'button', className: 'btn btn-ghost' }, ['Ubah']);
          b.addEventListener('click', function () { edit(a); });
          var del = el('button', { type: 'button', className: 'btn btn-ghost' }, ['Hapus']);
          del.addEventListener('click', function () {
            if (!confirm('Hapus kegiatan ini?')) return;
            H.api.request('DELETE', '/api/v1/me/activities/' + a.id).then(load, function (e) { H.showError('kin-error', e.message); });
          });
          li.appendChild(el('div', { className: 'row' }, [b, del]));
        }
        ul.appendChild(li);
      });
    }, function (e) { H.showError('kin-error', e.message); });
  }

  // The month's TPP with its explanation (base × shares × factors = amount).
  function loadTpp() {
    var date = $('kin-date').value || localToday();
    var month = date.slice(0, 7);
    return H.api.get('/api/v1/me/tpp?month=' + month).then(function (t) {
      var ul = H.clear($('kin-tpp-lines'));
      $('kin-tpp-title').textContent = 'TPP ' + H.monthTitle(month);
      (t.lines || []).forEach(function (l) {
        ul.appendChild(el('li', { dataset: { testid: 'tpp-line' } }, [
          el('span', {}, [l.label]), el('strong', {}, [' ' + (l.rupiah < 0 ? '− ' : '') + H.rupiah(l.rupiah)])
        ]));
      });
      $('kin-tpp-amount').textContent = 'Dibayar ' + H.rupiah(t.amount);
      $('kin-tpp-explanation').textContent = t.explanation;
      $('kin-tpp').hidden = false;
    }, function () { $('kin-tpp').hidden = true; });
  }

  function submit(ev) {
    ev.preventDefault();
    H.showError('kin-error', '');
    var body = {
      date: $('kin-date').value || localToday(),
      description: $('kin-desc').value,
      output: $('kin-output').value,
      volume: Number($('kin-volume').value || 0),
      volume_unit: $('kin-unit').value,
      start: $('kin-start').value,
      end: $('kin-end').value
    };
    if (!body.start || !body.end) return H.showError('kin-error', 'Isi jam mulai dan jam selesai.');
    var file = $('kin-file').files[0];
    var btn = $('kin-submit');
    btn.disabled = true;
    var saved = editing ? H.api.request('PUT', '/api/v1/me/activities/' + editing.id, body) : H.api.post('/api/v1/me/activities', body);
    saved.then(function (a) {
      if (!file) return a;
      var fd = new FormData();
      fd.append('file', file, file.name);
      return H.api.request('POST', '/api/v1/me/activities/' + a.id + '/attachment', fd);
    }).then(function () {
      resetForm();
      return load();
    }, function (e) {
      H.showError('kin-error', e.message);
    }).then(function () { btn.disabled = false; });
  }

  H.app.register('kinerja', {
    enter: function (date) {
      resetForm();
      $('kin-date').value = /^\d{4}-\d\d-\d\d$/.test(date || '') ? date : localToday();
      load();
      loadTpp();
    }
  });

  document.addEventListener('DOMContentLoaded', function () {
    $('kin-form').addEventListener('submit', submit);
    $('kin-date').addEventListener('change', function () { resetForm(); load(); loadTpp(); });
    $('kin-back').addEventListener('click', function () { H.app.go('#/'); });
    $('kin-cancel-edit').addEventListener('click', resetForm);
  });
})(self.H = self.H || {});
