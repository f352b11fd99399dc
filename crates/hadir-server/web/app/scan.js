// "Pindai QR kantor" (issue 21): the rear camera looks for the office kiosk's QR code with the
// browser's BarcodeDetector where it reads QR codes, else with jsQR (vendored from npm, loaded
// only then). A kiosk code found leads to the selfie (checkin.js, kiosk mode): the fresh code is
// the proof of place, so no position is needed.
(function (H) {
  'use strict';
  var $ = H.$;
  var cam = null, timer = null, active = false, decode = null, canvas = null;
  var mode = 'kiosk';   // 'kiosk': the office kiosk's code; 'card': a colleague's personal card;
                        // 'session': an apel/upacara's own code (sessions.js)

  function loadJsQR() {
    if (self.jsQR) return Promise.resolve(self.jsQR);
    return new Promise(function (resolve, reject) {
      var s = document.createElement('script');
      s.src = '/app/vendor/jsqr/jsQR.js';
      s.onload = function () { self.jsQR ? resolve(self.jsQR) : reject(new Error('jsQR')); };
      s.onerror = function () { reject(new Error('jsQR')); };
      document.head.appendChild(s);
    });
  }

  // A function frame → Promise<text|null>, and which decoder it is ('native' or 'jsqr').
  function makeDecoder() {
    var native = self.BarcodeDetector && self.BarcodeDetector.getSupportedFormats
      ? self.BarcodeDetector.getSupportedFormats().then(function (f) { return f.indexOf('qr_code') >= 0; }, function () { return false; })
      : Promise.resolve(false);
    return native.then(function (ok) {
      if (ok) {
        var d = new self.BarcodeDetector({ formats: ['qr_code'] });
        return { kind: 'native', fn: function (video) {
          return d.detect(video).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
        } };
      }
      return loadJsQR().then(function (jsQR) {
        return { kind: 'jsqr', fn: function (video) {
          var w = video.videoWidth, h = video.videoHeight;
          if (!w || !h) return Promise.resolve(null);
          var scale = Math.min(1, 800 / Math.max(w, h));
          canvas = canvas || document.createElement('canvas');
          canvas.width = Math.round(w * scale); canvas.height = Math.round(h * scale);
          var ctx = canvas.getContext('2d', { willReadFrequently: true });
          ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
          var img = ctx.getImageData(0, 0, canvas.width, canvas.height);
          var r = jsQR(img.data, img.width, img.height, { inversionAttempts: 'dontInvert' });
          return Promise.resolve(r ? r.data : null);
        } };
      });
    });
  }

  function found(text) {
    if (mode === 'session') {
      if (!/^HS1\./.test(text)) {
        H.showError('scan-error', 'Ini bukan kode QR apel. Arahkan kamera ke kode QR di layar tempat apel.');
        return false;
      }
      stop();
      H.sessions.withCode(text);
      return true;
    }
    if (mode === 'card') {
      if (!/^HC1\./.test(text)) {
        H.showError('scan-error', 'Ini bukan kartu QR pegawai. Arahkan kamera ke kartu QR pribadi rekan Anda.');
        return false;
      }
      H.scan.card = { code: text, at: Date.now() };
      stop();
      H.app.go('#/absen-rekan');
      return true;
    }
    if (!/^HK1\./.test(text)) {
      H.showError('scan-error', 'Ini bukan kode QR kiosk kantor. Arahkan kamera ke kode QR di layar kiosk.');
      return false;
    }
    H.scan.code = { code: text, at: Date.now() };
    stop();
    H.app.go('#/absen-qr');
    return true;
  }

  function loop() {
    if (!active || !decode) return;
    decode.fn($('scan-video')).then(function (text) {
      if (active && !(text && found(text))) timer = setTimeout(loop, 200);
    }, function () { if (active) timer = setTimeout(loop, 500); });
  }

  function stop() {
    active = false;
    clearTimeout(timer);
    if (cam) cam.stop();
  }

  function enter(arg) {
    mode = arg && arg.card ? 'card' : arg && arg.session ? 'session' : 'kiosk';
    $('scan-title').textContent = mode === 'card' ? 'Absen untuk rekan: pindai kartu QR rekan'
      : mode === 'session' ? 'Pindai QR apel' : 'Pindai QR kantor';
    H.showError('scan-error', '');
    H.scan.code = null;
    H.scan.card = null;
    active = true;
    cam = cam || new H.Camera($('scan-video'));
    $('scan-status').textContent = 'Menyiapkan kamera…';
    Promise.all([cam.start('environment'), decode ? decode : makeDecoder()]).then(function (r) {
      decode = r[1];
      document.body.setAttribute('data-qr-decoder', decode.kind);
      $('scan-status').textContent = mode === 'card'
        ? 'Arahkan kamera ke kartu QR pribadi rekan yang ponselnya bermasalah.'
        : mode === 'session' ? 'Arahkan kamera ke kode QR apel di layar tempat apel.'
          : 'Arahkan kamera ke kode QR di layar kiosk kantor.';
      loop();
    }, function (e) {
      H.showError('scan-error', e && e.message && e.message !== 'jsQR' ? e.message : 'Pembaca kode QR tidak dapat dimuat. Muat ulang halaman, lalu coba lagi.');
    });
  }

  H.scan = { code: null, card: null };

  document.addEventListener('DOMContentLoaded', function () {
    $('btn-scan').addEventListener('click', function () { H.app.go('#/pindai-qr'); });
    $('btn-colleague').addEventListener('click', function () { H.app.go('#/pindai-rekan'); });
    $('btn-card').addEventListener('click', function () { H.app.go('#/kartu-qr'); });
    $('scan-cancel').addEventListener('click', function () { stop(); H.app.go('#/'); });
  });

  H.app.register('scan', { enter: enter, leave: stop });
})(self.H = self.H || {});
