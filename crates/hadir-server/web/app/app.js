// Boot, session, screens and the hash router; the outbox banner and automatic sending.
(function (H) {
  'use strict';
  var $ = H.$;
  var screens = {};          // name -> {enter(arg), leave()}
  var current = null;
  var retryTimer = null;
  var stopWatch = null;
  var fixListeners = [];

  var app = H.app = {
    position: null,          // the latest fix {lat, lon, accuracy, at}
    positionError: null,
    user: null,

    register: function (name, s) { screens[name] = s; },

    // Shows one <main id="screen-NAME">, leaving the previous screen first.
    show: function (name, arg) {
      if (current && screens[current] && screens[current].leave) screens[current].leave();
      document.querySelectorAll('main.screen').forEach(function (m) { m.hidden = m.id !== 'screen-' + name; });
      current = name;
      document.body.setAttribute('data-screen', name);
      var tab = { home: 'home', checkin: 'home', scan: 'home', card: 'privacy', result: 'home', history: 'history', day: 'history',
        requests: 'requests', 'request-form': 'requests', 'attach-camera': 'requests', privacy: 'privacy', kinerja: 'home' }[name];
      document.querySelectorAll('.tabbar a').forEach(function (a) {
        if (a.dataset.tab === tab) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
      });
      window.scrollTo(0, 0);
      if (screens[name] && screens[name].enter) screens[name].enter(arg);
    },

    go: function (hash) {
      if (location.hash === hash) route(); else location.hash = hash;
    },

    onFix: function (fn) { fixListeners.push(fn); },

    locations: function () {
      try { return JSON.parse(localStorage.getItem('hadir.locations') || '[]'); } catch (e) { return []; }
    },
    setLocations: function (locs) {
      if (locs && locs.length) localStorage.setItem('hadir.locations', JSON.stringify(locs));
    },

    refreshOutbox: refreshOutbox,
    flush: flush
  };

  // ---- routing ----------------------------------------------------------------------------
  function route() {
    if (!H.api.session()) return showLogin();
    var h = location.hash.replace(/^#\/?/, '');
    var parts = h.split('/');
    if (H.relay) { // the office relay offers check-in only
      if (parts[0] === 'absen') return app.show('checkin', { special: false });
      if (parts[0] === 'hasil') return app.show(H.checkin && H.checkin.hasResult() ? 'result' : 'home');
      return app.show('home');
    }
    switch (parts[0]) {
      case '': return app.show('home');
      case 'absen': return app.show('checkin', { special: false });
      case 'absen-khusus': return app.show('checkin', { special: true });
      case 'pindai-qr': return app.show('scan', { card: false });
      case 'pindai-rekan': return app.show('scan', { card: true });
      case 'pindai-apel': return app.show('scan', { session: true });
      case 'absen-rekan':
        if (!(H.scan && H.scan.card)) return app.go('#/pindai-rekan');
        return app.show('checkin', { special: false, colleague: H.scan.card });
      case 'kartu-qr': return app.show('card');
      case 'absen-qr':
        if (!(H.scan && H.scan.code)) return app.go('#/pindai-qr');
        return app.show('checkin', { special: false, kiosk: H.scan.code });
      case 'hasil': return app.show(H.checkin && H.checkin.hasResult() ? 'result' : 'home');
      case 'riwayat': return app.show('history', parts[1]);
      case 'hari': return app.show('day', parts[1]);
      case 'data-saya': return app.show('privacy');
      case 'kinerja': return app.show('kinerja', parts[1]);
      case 'pengajuan':
        if (parts[1] === 'baru') return app.show('request-form', { type: parts[2], day: parts[3] });
        return app.show('requests');
      default: return app.show('home');
    }
  }

  // The regency's name on the login screen and in the header (kept for offline starts).
  function showRegency(name) {
    if (!name) return;
    $('login-regency').textContent = name;
    $('who-regency').textContent = name;
  }
  function loadRegency() {
    try { showRegency(localStorage.getItem('hadir.regency')); } catch (e) { /* private mode */ }
    if (H.relay) { showRegency('Presensi lokal — jaringan kantor'); return; }
    fetch('/api/v1/info').then(function (r) { return r.ok ? r.json() : null; }).then(function (i) {
      if (!i || !i.regency_name) return;
      showRegency(i.regency_name);
      try { localStorage.setItem('hadir.regency', i.regency_name); } catch (e) { /* private mode */ }
    }).catch(function () { /* offline: the kept name stays */ });
  }

  // ---- login / logout ---------------------------------------------------------------------
  function showLogin(message) {
    stopGeo();
    $('shell').hidden = true;
    $('screen-login').hidden = false;
    current = null;
    H.showError('login-error', message || '');
    $('login-nip').focus();
  }

  function signedIn() {
    expiring = null;
    var s = H.api.session();
    app.user = s.user;
    $('screen-login').hidden = true;
    $('shell').hidden = false;
    $('who-name').textContent = s.user.name;
    $('who-nip').textContent = 'NIP ' + H.nip.format(s.user.username);
    // Keep the service worker's copy of the token in step (e.g. after storage was cleared).
    H.idb.put('kv', { token: s.token, user_id: s.user.id }, 'session').catch(function () {});
    showResetNotice(s.password_reset);
    if (!H.relay) startGeo();
    route();
    refreshOutbox();
    flush();
  }

  // Several requests of one screen may come back 401 together: sign out once (until the next
  // sign-in), not once per request.
  var expiring = null;
  function sessionExpired() {
    if (expiring) return expiring;
    expiring = H.api.logout().then(function () {
      app.user = null;
      showLogin('Sesi Anda berakhir. Silakan masuk lagi; absen yang menunggu akan dikirim setelahnya.');
    });
    return expiring;
  }

  function setupLogin() {
    H.nip.attach($('login-nip'));
    $('login-form').addEventListener('submit', function (ev) {
      ev.preventDefault();
      var user = H.nip.clean($('login-nip').value), pass = $('login-password').value;
      if (!user || !pass) return H.showError('login-error', 'Isi NIP dan kata sandi.');
      var btn = $('login-submit');
      btn.disabled = true;
      btn.textContent = 'Memeriksa…';
      H.showError('login-error', '');
      H.api.login(user, pass).then(function () {
        $('login-password').value = '';
        signedIn();
      }, function (e) {
        H.showError('login-error', e.message);
      }).then(function () {
        btn.disabled = false;
        btn.textContent = 'Masuk';
      });
    });
    $('logout').addEventListener('click', function () {
      var waiting = Number(($('outbox-text').textContent.match(/^\d+/) || [0])[0]);
      if (!$('outbox-banner').hidden && waiting &&
        !window.confirm(waiting + ' absen belum terkirim. Absen itu tetap tersimpan di ponsel dan dikirim setelah Anda masuk lagi. Keluar sekarang?')) return;
      H.api.logout().then(function () { app.user = null; location.hash = '#/'; showLogin(); });
    });
    H.api.onExpired(sessionExpired);
  }

  // ---- password ---------------------------------------------------------------------------
  // "2026-12-06T14:05:00+07:00" -> "6 Desember 2026 pukul 14.05" (the server sends WIB).
  function wibText(rfc3339) {
    var m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)/.exec(rfc3339 || '');
    if (!m) return rfc3339 || '';
    return Number(m[3]) + ' ' + H.MONTHS[Number(m[2]) - 1] + ' ' + m[1] + ' pukul ' + m[4] + '.' + m[5];
  }

  // Someone else reset the password: said at every login until the owner changes it.
  function showResetNotice(reset) {
    var box = $('reset-notice');
    if (!reset) { box.hidden = true; return; }
    $('reset-text').textContent = 'Kata sandi Anda diatur ulang oleh ' + reset.by_name + ' pada ' +
      wibText(reset.at) + ' WIB. Segera ganti kata sandi.';
    box.hidden = false;
  }

  function openPasswordForm() {
    var f = $('password-form');
    f.reset();
    H.showError('password-error', '');
    f.hidden = false;
    $('pw-current').focus();
  }

  function setupPassword() {
    $('password-open').addEventListener('click', openPasswordForm);
    $('reset-change').addEventListener('click', openPasswordForm);
    $('password-cancel').addEventListener('click', function () { $('password-form').hidden = true; });
    $('password-form').addEventListener('submit', function (ev) {
      ev.preventDefault();
      var cur = $('pw-current').value, next = $('pw-new').value;
      if (!cur || !next) return H.showError('password-error', 'Isi kata sandi sekarang dan kata sandi baru.');
      if (next.length < 6) return H.showError('password-error', 'Kata sandi baru minimal 6 karakter.');
      if (next !== $('pw-repeat').value) return H.showError('password-error', 'Ulangan kata sandi baru tidak sama.');
      var btn = $('password-submit');
      btn.disabled = true;
      H.showError('password-error', '');
      H.api.changePassword(cur, next).then(function (r) {
        $('password-form').hidden = true;
        $('password-form').reset();
        showResetNotice(r.password_reset);
        toast('Kata sandi diganti.');
      }, function (e) {
        H.showError('password-error', e.message);
      }).then(function () { btn.disabled = false; });
    });
  }

  // ---- position ---------------------------------------------------------------------------
  function startGeo() {
    if (stopWatch) return;
    stopWatch = H.geo.watch(function (fix) {
      app.position = fix; app.positionError = null;
      fixListeners.forEach(function (fn) { fn(); });
    }, function (msg) {
      app.positionError = msg;
      fixListeners.forEach(function (fn) { fn(); });
    });
  }
  function stopGeo() { if (stopWatch) { stopWatch(); stopWatch = null; } }

  // ---- outbox -----------------------------------------------------------------------------
  function refreshOutbox() {
    if (!app.user) return Promise.resolve();
    return H.outbox.list(app.user.id).then(function (items) {
      var pending = items.filter(function (i) { return i.state === 'pending'; });
      var failed = items.filter(function (i) { return i.state === 'failed'; });
      $('outbox-banner').hidden = pending.length === 0;
      $('outbox-text').textContent = pending.length + ' absen menunggu dikirim';
      var box = H.clear($('outbox-failed'));
      failed.forEach(function (i) {
        var when = new Date(i.captured_at);
        var label = 'Absen ' + String(when.getHours()).padStart(2, '0') + ':' + String(when.getMinutes()).padStart(2, '0') +
          ' ditolak: ' + (i.last_error ? i.last_error.message : '');
        var dismiss = H.el('button', { type: 'button', className: 'btn btn-small', textContent: 'Tutup' });
        dismiss.addEventListener('click', function () { H.outbox.dismiss(i.key); });
        box.appendChild(H.el('div', { className: 'banner banner-red', role: 'alert' }, [H.el('span', {}, [label]), dismiss]));
      });
      scheduleRetry();
      if (pending.length) requestBackgroundSync();
    }).catch(function () { /* IndexedDB unavailable (private mode in old browsers) */ });
  }

  function flush(force) {
    if (!app.user || navigator.onLine === false) return Promise.resolve();
    return H.outbox.flush(force).catch(function () {}).then(function (r) {
      // The token was refused (revoked or expired): ask for a login; the queue waits for it.
      if (r && r.auth) return sessionExpired();
      return refreshOutbox();
    });
  }

  // Wakes up when the earliest queued item may be retried (Retry-After, back-off).
  function scheduleRetry() {
    clearTimeout(retryTimer);
    if (!app.user) return;
    H.outbox.nextDue(app.user.id).then(function (t) {
      if (t == null) return;
      retryTimer = setTimeout(function () { flush(); }, Math.max(1000, t - Date.now()));
    });
  }

  // Background Sync (Chrome/Android): the browser wakes the service worker when the network
  // is back, even if Hadir is closed. Elsewhere the app retries when it is opened.
  function requestBackgroundSync() {
    if (!('serviceWorker' in navigator)) return;
    navigator.serviceWorker.ready.then(function (reg) {
      if (reg.sync) return reg.sync.register('hadir-outbox');
    }).catch(function () {});
  }

  function setupOutbox() {
    H.outbox.onChange(function (msg) {
      refreshOutbox();
      // A queued punch that went out by itself: say so, since nobody was watching.
      if (msg && msg.type === 'sent' && msg.background) toast('Absen tertunda terkirim. ' + (msg.message || ''));
    });
    $('outbox-send').addEventListener('click', function () { flush(true); });
    var net = function () {
      $('offline-banner').hidden = navigator.onLine !== false;
      $('outbox-send').hidden = navigator.onLine === false; // it would only fail
    };
    window.addEventListener('online', function () { net(); flush(true); });
    window.addEventListener('offline', net);
    document.addEventListener('visibilitychange', function () {
      if (document.visibilityState === 'visible') flush();
    });
    net();
  }

  var toastTimer = null;
  function toast(text) {
    var t = $('toast');
    t.textContent = text;
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { t.hidden = true; }, 10000);
  }
  app.toast = toast;

  // ---- boot -------------------------------------------------------------------------------
  function boot() {
    if (H.relay) document.body.classList.add('relay-mode');
    if ('serviceWorker' in navigator && !H.relay) {
      navigator.serviceWorker.register('/app/sw.js', { scope: '/' }).catch(function () {});
    }
    loadRegency();
    setupLogin();
    setupPassword();
    setupOutbox();
    window.addEventListener('hashchange', function () { if (H.api.session()) route(); });
    if (H.api.session()) signedIn(); else showLogin();
  }

  document.addEventListener('DOMContentLoaded', boot);
})(self.H = self.H || {});
