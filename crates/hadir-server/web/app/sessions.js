// Apel and upacara (issue 21): today's sessions that concern the employee, on the home screen,
// with "Hadir apel" (the phone's position, checked against the session's place by the server)
// and, where the session shows its own QR code, "Pindai QR apel" (scan.js, session mode).
(function (H) {
  'use strict';
  var $ = H.$, el = H.el;
  var HOW = { position: 'Hadir (lokasi)', qr: 'Hadir (QR)', marked: 'Hadir (ditandai atasan)' };

  function checkin(id, body) {
    H.showError('sessions-error', '');
    return H.api.post('/api/v1/sessions/' + id + '/checkin', body).then(function (r) {
      $('sessions-message').textContent = r.message;
      return load();
    }, function (e) {
      H.showError('sessions-error', e.message);
    });
  }

  function render(items) {
    var card = $('sessions-card'), ul = H.clear($('sessions-list'));
    card.hidden = !items.length;
    items.forEach(function (s) {
      var done = s.my_attendance;
      var row = el('li', { className: 'session', dataset: { testid: 'session-' + s.id } }, [
        el('span', { className: 'grow' }, [
          el('span', { className: 'cp-name' }, [s.label]),
          el('span', { className: 'cp-expl' }, [s.mandatory ? 'Wajib' : 'Tidak wajib'])
        ]),
        el('span', { className: 'pill ' + (done ? 'pill-ok' : 'pill-wait') }, [done ? (HOW[done] || 'Hadir') : 'Belum hadir'])
      ]);
      ul.appendChild(row);
      if (done) return;
      var actions = el('li', { className: 'session-actions' }, []);
      if (s.radius_m) {
        var b = el('button', { type: 'button', className: 'btn btn-primary', dataset: { testid: 'btn-session-here' } }, ['Hadir apel']);
        b.addEventListener('click', function () {
          var p = H.app.position;
          if (!p) { H.showError('sessions-error', H.app.positionError || 'Lokasi belum didapat. Tunggu sebentar, lalu coba lagi.'); return; }
          b.disabled = true;
          checkin(s.id, { lat: p.lat, lon: p.lon, accuracy_m: p.accuracy }).then(function () { b.disabled = false; });
        });
        actions.appendChild(b);
      }
      if (s.qr) {
        var q = el('button', { type: 'button', className: 'btn btn-secondary', dataset: { testid: 'btn-session-qr' } }, ['Pindai QR apel']);
        q.addEventListener('click', function () { H.sessions.pending = s.id; H.app.go('#/pindai-apel'); });
        actions.appendChild(q);
      }
      ul.appendChild(actions);
    });
  }

  function load() {
    var today = H.todayIso();
    return H.api.get('/api/v1/sessions?from=' + today + '&to=' + today).then(function (r) {
      render((r && r.items) || []);
    }, function () { /* offline or an older server: no session card */ });
  }

  H.sessions = {
    pending: null,
    load: load,
    // A session code read by the scanner: check in with it, back to the home screen.
    withCode: function (code) {
      var id = H.sessions.pending;
      H.sessions.pending = null;
      H.app.go('#/');
      if (id) checkin(id, { code: code });
    }
  };
})(self.H = self.H || {});
