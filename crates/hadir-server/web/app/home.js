// Home: today's checkpoints, the distance to the office, and the big "Absen" button.
(function (H) {
  'use strict';
  var $ = H.$, el = H.el;

  // GET /api/v1/me/today checkpoint states.
  var STATE = {
    upcoming: ['Belum dibuka', 'pill-wait'],
    open: ['Silakan absen', 'pill-info'],
    pending: ['Belum', 'pill-wait'],
    on_time: ['Tepat waktu', 'pill-ok'],
    done: ['Tepat waktu', 'pill-ok'],
    present: ['Hadir', 'pill-ok'],
    late: ['Terlambat', 'pill-late'],
    early: ['Pulang cepat', 'pill-late'],
    missing: ['Tidak absen', 'pill-bad'],
    excused: ['Dimaafkan', 'pill-info']
  };
  var CP_NAMES = { masuk: 'Masuk', siang: 'Siang', pulang: 'Pulang' };
  H.cpName = function (n) { return CP_NAMES[n] || n; };

  function renderToday(t) {
    $('today-title').textContent = 'Hari ini — ' + H.longDate(t.date);
    $('today-message').textContent = t.message || '';
    $('today-schedule').textContent = t.schedule ? 'Jadwal: ' + t.schedule : '';
    var ul = H.clear($('checkpoints'));
    (t.checkpoints || []).forEach(function (c) {
      var st = STATE[c.state] || [c.state, 'pill-wait'];
      var label = c.time ? c.time + ' · ' + (c.code || st[0]) : st[0];
      var win = c.window_start && c.window_end ? ' (' + c.window_start + '–' + c.window_end + ')' : '';
      ul.appendChild(el('li', {}, [
        el('span', {}, [
          el('span', { className: 'cp-name' }, [H.cpName(c.name)]),
          el('span', { className: 'cp-expl' }, ['Batas ' + c.due + ' ' + (t.zone || '') + win])
        ]),
        el('span', { className: 'pill ' + st[1], title: st[0] }, [label])
      ]));
    });
    if (!(t.checkpoints || []).length && !t.day_off) ul.appendChild(el('li', { className: 'muted' }, ['Tidak ada jadwal absen hari ini.']));
    renderPunches(t.punch_outcomes || []);
  }

  // Today's punches with what became of each: counted, not counted (why), waiting, rejected.
  var OUTCOME = {
    counted: ['Dihitung', 'pill-ok'], not_counted: ['Tidak dihitung', 'pill-wait'],
    pending: ['Menunggu', 'pill-info'], rejected: ['Ditolak', 'pill-bad']
  };
  function renderPunches(list) {
    var ul = H.clear($('today-punches'));
    $('today-punches-title').hidden = !list.length;
    list.forEach(function (p) {
      var o = OUTCOME[p.outcome] || ['Tercatat', 'pill-wait'];
      ul.appendChild(el('li', { className: 'punch-' + p.outcome, dataset: { outcome: p.outcome } }, [
        el('span', { className: 'grow' }, [
          el('span', { className: 'cp-name' }, [p.time + ' ' + p.zone + ' · ' + p.channel]),
          el('span', { className: 'cp-expl' }, [p.text])
        ]),
        el('span', { className: 'pill ' + o[1] }, [o[0]])
      ]));
    });
  }

  function loadToday() {
    return H.api.get('/api/v1/me/today').then(function (t) {
      H.app.setLocations(t.locations);
      renderToday(t);
    }, function (e) {
      if (e.status === 401) return;
      // Older server or no signal: still show the office distance from the unit's locations.
      $('today-title').textContent = 'Hari ini — ' + H.longDate(H.todayIso());
      $('today-message').textContent = e.status === 0 || e.code === 'offline' ? 'Jadwal tidak dapat dimuat (tidak ada koneksi).' : 'Jadwal hari ini belum tersedia.';
      H.clear($('checkpoints'));
      $('today-schedule').textContent = '';
      return H.api.get('/api/v1/units').then(function (units) {
        var locs = [];
        (units || []).forEach(function (u) { locs = locs.concat(u.locations || []); });
        H.app.setLocations(locs);
      }, function () {});
    }).then(renderGeo);
  }

  // The location card, refreshed on every position fix.
  function renderGeo() {
    var status = $('geo-status'), detail = $('geo-detail');
    var p = H.app.position;
    status.className = 'geo';
    if (!p) {
      status.textContent = H.app.positionError || 'Mencari lokasi…';
      detail.textContent = '';
      return;
    }
    var near = H.geo.nearest(p, H.app.locations());
    var acc = 'akurasi ±' + Math.round(p.accuracy) + ' m';
    if (!near) {
      status.textContent = 'Lokasi kantor belum diatur';
      detail.textContent = acc + '. Hubungi operator unit Anda, atau gunakan absen khusus.';
      return;
    }
    status.classList.add(near.inside ? 'inside' : 'outside');
    status.textContent = near.inside ? 'Di dalam area kantor' : 'Di luar area kantor';
    detail.textContent = near.location.name + ': ' + H.metres(near.distance) + ' (batas ' + Math.round(near.location.radius_m) + ' m) · ' + acc;
  }
  H.renderGeo = renderGeo;

  document.addEventListener('DOMContentLoaded', function () {
    $('btn-absen').addEventListener('click', function () { H.app.go('#/absen'); });
    $('btn-special').addEventListener('click', function () { H.app.go('#/absen-khusus'); });
    $('btn-kinerja').addEventListener('click', function () { H.app.go('#/kinerja'); });
    H.app.onFix(renderGeo);
  });

  // "Presensi lokal: http://…": where to check in on the office network when the internet is
  // down (issue 21). Kept for offline starts, when it matters most.
  function renderLocal(items) {
    var p = H.clear($('local-presence'));
    p.hidden = !items.length;
    items.forEach(function (i, n) {
      if (n) p.appendChild(el('br'));
      p.appendChild(document.createTextNode('Presensi lokal (saat internet kantor mati): '));
      p.appendChild(el('a', { href: i.url, textContent: i.url, rel: 'noopener' }));
    });
  }
  function loadLocal() {
    var kept = [];
    try { kept = JSON.parse(localStorage.getItem('hadir.local') || '[]'); } catch (e) { kept = []; }
    renderLocal(kept);
    H.api.get('/api/v1/me/local-presence').then(function (r) {
      var items = (r && r.items) || [];
      try { localStorage.setItem('hadir.local', JSON.stringify(items)); } catch (e) { /* private mode */ }
      renderLocal(items);
    }, function () { /* offline or an older server: the kept list stays */ });
  }

  // On the office relay: no schedule or position, only the check-in button and where it goes.
  function relayHome() {
    $('geo-status').className = 'geo inside';
    $('geo-status').textContent = 'Presensi lokal melalui jaringan kantor';
    $('geo-detail').textContent = 'Tempat dibuktikan oleh jaringan kantor (tanpa GPS). Waktu absen dicatat relay kantor ' +
      'dan dikirim ke server Hadir otomatis saat internet tersedia.';
    ['btn-scan', 'btn-colleague', 'btn-special', 'btn-kinerja', 'password-open'].forEach(function (id) { $(id).hidden = true; });
    document.querySelector('.today-card').hidden = true;
    document.querySelector('.tabbar').hidden = true;
  }

  H.app.register('home', { enter: function () { if (H.relay) return relayHome(); renderGeo(); loadToday(); loadLocal(); if (H.sessions) H.sessions.load(); } });
})(self.H = self.H || {});
