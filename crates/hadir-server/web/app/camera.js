// The live front camera (getUserMedia, not a file picker: the selfie is taken now, here) and
// the in-browser resize/compress that keeps an upload near 30–60 KB on a slow link.
(function (H) {
  'use strict';
  var MAX_SIDE = 640, QUALITY = 0.7;

  function Camera(video) { this.video = video; this.stream = null; }

  Camera.prototype.start = function (facing) {
    var self_ = this;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      return Promise.reject(new Error('Kamera tidak tersedia di peramban ini. Gunakan Chrome, Firefox atau Safari terbaru (melalui https).'));
    }
    this.stop();
    return navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { facingMode: facing || 'user', width: { ideal: 960 }, height: { ideal: 1280 } }
    }).then(function (stream) {
      self_.stream = stream;
      self_.video.srcObject = stream;
      return self_.video.play().catch(function () {}); // autoplay attribute covers refusals
    }, function (e) {
      var denied = e && (e.name === 'NotAllowedError' || e.name === 'SecurityError');
      throw new Error(denied
        ? 'Izin kamera ditolak. Izinkan kamera untuk Hadir di pengaturan peramban, lalu coba lagi.'
        : 'Kamera tidak dapat dibuka. Tutup aplikasi lain yang memakai kamera, lalu coba lagi.');
    });
  };

  Camera.prototype.stop = function () {
    if (this.stream) this.stream.getTracks().forEach(function (t) { t.stop(); });
    this.stream = null;
    if (this.video) this.video.srcObject = null;
  };

  // A JPEG comment segment (FF FE) right after the start marker, naming when and on which
  // phone the frame was taken, as a camera's EXIF time does: two selfies never share their bytes,
  // while a stored photo sent again (a copied file) is recognised by the server and refused.
  function stamped(blob) {
    var text = 'Hadir ' + new Date().toISOString() + ' ' + Math.random().toString(36).slice(2, 10);
    var seg = new Uint8Array(4 + text.length);
    seg[0] = 0xFF; seg[1] = 0xFE; seg[2] = (text.length + 2) >> 8; seg[3] = (text.length + 2) & 0xFF;
    for (var i = 0; i < text.length; i++) seg[4 + i] = text.charCodeAt(i);
    return new Blob([blob.slice(0, 2), seg, blob.slice(2)], { type: 'image/jpeg' });
  }

  // The current frame, longest side at most 640 px, as a JPEG Blob.
  Camera.prototype.capture = function () {
    var v = this.video, w = v.videoWidth, h = v.videoHeight;
    if (!w || !h) return Promise.reject(new Error('Kamera belum siap. Tunggu sebentar lalu coba lagi.'));
    var scale = Math.min(1, MAX_SIDE / Math.max(w, h));
    var c = document.createElement('canvas');
    c.width = Math.round(w * scale);
    c.height = Math.round(h * scale);
    c.getContext('2d').drawImage(v, 0, 0, c.width, c.height);
    return new Promise(function (resolve, reject) {
      if (c.toBlob) {
        c.toBlob(function (b) { b ? resolve(stamped(b)) : reject(new Error('Foto gagal dibuat.')); }, 'image/jpeg', QUALITY);
      } else {
        // Very old browsers: through a data URL.
        var bin = atob(c.toDataURL('image/jpeg', QUALITY).split(',')[1]);
        var a = new Uint8Array(bin.length);
        for (var i = 0; i < bin.length; i++) a[i] = bin.charCodeAt(i);
        resolve(stamped(new Blob([a], { type: 'image/jpeg' })));
      }
    });
  };

  H.Camera = Camera;

  // A picture from the file input (the office relay's plain-HTTP page has no live camera),
  // longest side at most 640 px as JPEG; the file itself when the browser cannot decode it.
  H.shrinkImage = function (file) {
    return new Promise(function (resolve) {
      var img = new Image(), url = URL.createObjectURL(file);
      img.onload = function () {
        URL.revokeObjectURL(url);
        var scale = Math.min(1, MAX_SIDE / Math.max(img.naturalWidth, img.naturalHeight));
        var c = document.createElement('canvas');
        c.width = Math.max(1, Math.round(img.naturalWidth * scale));
        c.height = Math.max(1, Math.round(img.naturalHeight * scale));
        c.getContext('2d').drawImage(img, 0, 0, c.width, c.height);
        if (!c.toBlob) return resolve(file);
        c.toBlob(function (b) { resolve(b ? stamped(b) : file); }, 'image/jpeg', QUALITY);
      };
      img.onerror = function () { URL.revokeObjectURL(url); resolve(file); };
      img.src = url;
    });
  };
})(self.H = self.H || {});
