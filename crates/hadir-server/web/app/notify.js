// Notifications (issue 25), on "Data saya": the consent toggle "Aktifkan pengingat presensi"
// (asks the browser's permission, subscribes through the service worker's pushManager with the
// server's VAPID key, sends the subscription to the server) and the kinds the person receives.
// Every failure is said in plain Indonesian: no service worker, permission denied, or no push
// service reachable (a browser without its vendor's push service cannot subscribe).
(function (H) {
  'use strict';
  var $ = H.$, el = H.el;

  function keyBytes(b64) {
    var s = (b64 + '===='.slice((b64.length + 3) % 4 + 1)).replace(/-/g, '+').replace(/_/g, '/');
    var raw = atob(s), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  function status(msg) { $('notify-status').textContent = msg || ''; }

  function fail(msg) {
    $('notify-toggle').checked = false;
    status('');
    H.showError('notify-error', msg);
  }

  function registration() {
    if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) {
      return Promise.reject(new Error('unsupported'));
    }
    return navigator.serviceWorker.ready;
  }

  function enable() {
    H.showError('notify-error', '');
    status('Meminta izin notifikasi…');
    var reg;
    registration().catch(function () {
      throw { msg: 'Browser ini tidak mendukung notifikasi. Gunakan Chrome atau Firefox terbaru, atau pasang aplikasi ke layar utama.' };
    }).then(function (r) {
      reg = r;
      return Notification.requestPermission();
    }).then(function (p) {
      if (p !== 'granted') {
        throw { msg: 'Izin notifikasi ditolak. Buka pengaturan situs di browser, izinkan Notifikasi untuk Hadir, lalu coba lagi.' };
      }
      return H.api.get('/api/v1/me/push-subscriptions');
    }).then(function (info) {
      status('Mendaftarkan HP ini…');
      return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(info.public_key) })
        .catch(function () {
          throw { msg: 'Gagal mendaftar ke layanan notifikasi browser. Pastikan HP terhubung ke internet (layanan notifikasi Google/Mozilla/Apple harus dapat dijangkau), lalu coba lagi.' };
        });
    }).then(function (sub) {
      return H.api.post('/api/v1/me/push-subscriptions', sub.toJSON());
    }).then(function () {
      status('Pengingat presensi aktif di HP ini.');
    }, function (e) {
      fail((e && e.msg) || (e && e.message) || 'Notifikasi belum dapat diaktifkan.');
    });
  }

  function disable() {
    H.showError('notify-error', '');
    registration().then(function (reg) { return reg.pushManager.getSubscription(); }).then(function (sub) {
      if (!sub) return null;
      var endpoint = sub.endpoint;
      return sub.unsubscribe().then(function () {
        return H.api.request('DELETE', '/api/v1/me/push-subscriptions', { endpoint: endpoint });
      });
    }).then(function () { status('Pengingat presensi tidak aktif.'); }, function () { status('Pengingat presensi tidak aktif.'); });
  }

  function loadKinds() {
    var box = H.clear($('notify-kinds'));
    return H.api.get('/api/v1/me/notification-prefs').then(function (p) {
      (p.kinds || []).forEach(function (k) {
        var cb = el('input', { type: 'checkbox', value: k.kind });
        cb.checked = !!k.enabled;
        cb.setAttribute('data-testid', 'notify-kind-' + k.kind);
        cb.addEventListener('change', saveKinds);
        box.appendChild(el('label', { className: 'check' }, [cb, ' ' + k.label]));
      });
    }, function (e) { H.showError('notify-error', e.message); });
  }

  function saveKinds() {
    var kinds = [];
    $('notify-kinds').querySelectorAll('input[type=checkbox]').forEach(function (c) { if (c.checked) kinds.push(c.value); });
    H.api.request('PUT', '/api/v1/me/notification-prefs', { kinds: kinds }).then(function () {
      status('Pilihan notifikasi disimpan.');
    }, function (e) { H.showError('notify-error', e.message); });
  }

  function showState() {
    registration().then(function (reg) { return reg.pushManager.getSubscription(); }).then(function (sub) {
      $('notify-toggle').checked = !!sub && Notification.permission === 'granted';
      status(sub ? 'Pengingat presensi aktif di HP ini.' : '');
    }, function () { $('notify-toggle').checked = false; });
  }

  H.notify = { enter: function () { H.showError('notify-error', ''); showState(); loadKinds(); } };

  document.addEventListener('DOMContentLoaded', function () {
    $('notify-toggle').addEventListener('change', function (ev) {
      if (ev.target.checked) enable(); else disable();
    });
  });
})(self.H = self.H || {});
