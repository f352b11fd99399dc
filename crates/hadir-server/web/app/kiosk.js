// The office kiosk page (/kiosk): signs in once with the kiosk token an operator issued (kept
// in this browser's storage), then shows the server's current signed QR code, fetched every
// 5 s (a new code every 30 s), and who just checked in with it.
(function () {
  'use strict';
  var KEY = 'hadir.kioskToken';
  var timer = null;
  // `/kiosk?apel=<id>`: the QR code of an apel/upacara session instead of the office's (issue 21).
  var APEL = new URLSearchParams(location.search).get('apel');
  function $(id) { return document.getElementById(id); }

  function show(login) {
    $('kiosk-login').hidden = !login;
    $('kiosk-screen').hidden = login;
  }

  function error(id, text) {
    $(id).textContent = text || '';
    $(id).hidden = !text;
  }

  function render(b) {
    $('kiosk-unit').textContent = b.unit_name;
    $('kiosk-name').textContent = 'Kiosk: ' + b.kiosk_name;
    var box = $('kiosk-qr');
    if (box.getAttribute('data-code') !== b.code) {
      // The SVG is drawn by the server from the code alone (no text of anyone's).
      var doc = new DOMParser().parseFromString(b.svg, 'image/svg+xml');
      box.replaceChildren(document.importNode(doc.documentElement, true));
      box.setAttribute('data-code', b.code);
    }
    $('kiosk-next').textContent = 'Kode berganti dalam ' + b.next_in_secs + ' detik';
    var list = $('kiosk-recent');
    list.replaceChildren();
    (b.recent || []).forEach(function (r) {
      var li = document.createElement('li');
      li.textContent = r.greeting;
      list.appendChild(li);
    });
    if (!b.recent || !b.recent.length) {
      var li = document.createElement('li');
      li.className = 'k-muted';
      li.textContent = 'Belum ada dalam 10 menit terakhir.';
      list.appendChild(li);
    }
  }

  function tick() {
    var token = localStorage.getItem(KEY);
    if (!token) return stop();
    fetch(APEL ? '/api/v1/kiosk/sessions/' + encodeURIComponent(APEL) + '/code' : '/api/v1/kiosk/code', { headers: { Authorization: 'Bearer ' + token }, cache: 'no-store' })
      .then(function (res) {
        return res.json().catch(function () { return null; }).then(function (b) {
          if (res.status === 401) {
            localStorage.removeItem(KEY);
            stop();
            error('kiosk-error', (b && b.error && b.error.message) || 'Token kiosk tidak sah.');
            return;
          }
          if (res.status === 404 || res.status === 422) {
            // This kiosk may not show that session (another unit's, cancelled, without QR).
            error('kiosk-status', (b && b.error && b.error.message) || 'Sesi tidak ditemukan.');
            schedule(30000);
            return;
          }
          if (!res.ok || !b) throw new Error('status ' + res.status);
          error('kiosk-status', '');
          render(b);
          schedule(Math.min(5, Math.max(1, b.next_in_secs)) * 1000);
        });
      })
      .catch(function () {
        // Keep the last code (valid 60 s); say that the link is down.
        error('kiosk-status', 'Koneksi ke server terputus. Mencoba lagi…');
        schedule(5000);
      });
  }

  function schedule(ms) { clearTimeout(timer); timer = setTimeout(tick, ms); }
  function stop() { clearTimeout(timer); show(true); }

  document.addEventListener('DOMContentLoaded', function () {
    $('kiosk-form').addEventListener('submit', function (ev) {
      ev.preventDefault();
      var t = $('kiosk-token').value.trim();
      if (!t) return error('kiosk-error', 'Token kiosk wajib diisi.');
      localStorage.setItem(KEY, t);
      error('kiosk-error', '');
      show(false);
      tick();
    });
    $('kiosk-logout').addEventListener('click', function () { localStorage.removeItem(KEY); stop(); });
    if (APEL) {
      document.title = 'Hadir — QR apel/upacara';
      $('kiosk-hint').textContent = 'Buka aplikasi Hadir, pada kartu "Apel / upacara hari ini" pilih Pindai QR apel, arahkan kamera ke kode ini.';
      $('kiosk-recent-box').hidden = true;
    }
    if (localStorage.getItem(KEY)) { show(false); tick(); } else { show(true); }
  });
})();
