// Check-in: live selfie, position, optional note, then send through the outbox and show the
// answer large. Special attendance (dinas luar) is the same flow with `special: true`.
(function (H) {
  'use strict';
  var $ = H.$;
  var cam = null;
  var special = false;
  var kiosk = null;      // {code, at}: the office kiosk's QR code just scanned (proof of place)
  var colleague = null;  // {code, at}: a colleague's personal QR card (their punch, I am witness)
  var shot = null;       // {blob, url, capturedAt, pos}
  var reuse = null;      // a rejected photo offered again for special attendance
  var result = null;     // the last answer, for the result screen
  var sending = false;

  function blobToBuffer(b) {
    if (b.arrayBuffer) return b.arrayBuffer();
    return new Promise(function (resolve, reject) {
      var r = new FileReader();
      r.onload = function () { resolve(r.result); };
      r.onerror = function () { reject(r.error); };
      r.readAsArrayBuffer(b);
    });
  }

  function geoLine() {
    var p = (shot && shot.pos) || H.app.position, line = $('checkin-geo');
    if (H.relay) {
      line.textContent = 'Presensi lokal: tempat dibuktikan oleh jaringan kantor. Ambil swafoto lalu kirim.';
      updateSend();
      return;
    }
    if (kiosk) {
      line.textContent = 'Tempat dibuktikan oleh kode QR kantor (berlaku 60 detik): ambil swafoto lalu kirim.';
      updateSend();
      return;
    }
    if (!p) { line.textContent = H.app.positionError || 'Mencari lokasi…'; return; }
    var near = H.geo.nearest(p, H.app.locations());
    var acc = 'akurasi ±' + Math.round(p.accuracy) + ' m';
    line.textContent = near
      ? H.metres(near.distance) + ' dari ' + near.location.name + (near.inside ? ' (di dalam area)' : ' (di luar area)') + ' · ' + acc
      : 'Lokasi didapat · ' + acc;
    updateSend();
  }

  function updateSend() {
    $('checkin-send').disabled = sending || !shot || !(kiosk || H.relay || shot.pos || H.app.position);
  }

  function setShot(s) {
    if (shot && shot.url && (!s || shot.url !== s.url)) URL.revokeObjectURL(shot.url);
    shot = s;
    $('cam-photo').hidden = !s;
    $('cam-video').hidden = !!s;
    $('cam-shoot').hidden = !!s;
    $('cam-retake').hidden = !s;
    if (s) $('cam-photo').src = s.url;
    updateSend();
  }

  function startCamera() {
    H.showError('cam-error', '');
    if (H.relay) { $('cam-video').hidden = true; $('cam-shoot').textContent = 'Ambil swafoto'; return; }
    cam = cam || new H.Camera($('cam-video'));
    cam.start('user').catch(function (e) { H.showError('cam-error', e.message); });
  }

  function enter(arg) {
    special = !!(arg && arg.special);
    kiosk = (arg && arg.kiosk) || null;
    colleague = (arg && arg.colleague) || null;
    sending = false;
    $('checkin-title').textContent = special ? 'Absen khusus (dinas luar)' : kiosk ? 'Absen dengan QR kantor'
      : colleague ? 'Absen untuk rekan: swafoto rekan Anda' : 'Absen';
    $('checkin-note-label').textContent = special ? 'Keterangan tugas (wajib, mis. nomor SPT dan tempat)' : 'Catatan (opsional)';
    $('checkin-note').value = '';
    $('checkin-duty-box').hidden = !special;
    $('checkin-duty').value = 'DINAS_LUAR';
    H.showError('checkin-error', '');
    $('checkin-send').textContent = special ? 'Kirim absen khusus' : 'Kirim absen';
    if (special && reuse) {
      setShot(reuse); // the selfie just refused for the geofence: no need to take another
      reuse = null;
      cam && cam.stop();
    } else {
      setShot(null);
      startCamera();
    }
    geoLine();
  }

  function leave() {
    if (cam) cam.stop();
  }

  // Office relay: the phone's camera app through the file input, shrunk like a live frame.
  function fromFile() {
    var f = $('cam-file').files && $('cam-file').files[0];
    $('cam-file').value = '';
    if (!f) return;
    H.shrinkImage(f).then(function (blob) {
      setShot({ blob: blob, url: URL.createObjectURL(blob), capturedAt: new Date().toISOString(), pos: null });
      geoLine();
    }, function (e) { H.showError('cam-error', e.message); });
  }

  function shoot() {
    if (H.relay) return $('cam-file').click();
    cam.capture().then(function (blob) {
      // The capture time is the punch time: a queued punch keeps it however late it is sent.
      setShot({ blob: blob, url: URL.createObjectURL(blob), capturedAt: new Date().toISOString(), pos: H.app.position });
      cam.stop();
      geoLine();
      $('checkin-send').scrollIntoView({ block: 'nearest' });
    }, function (e) { H.showError('cam-error', e.message); });
  }

  function send() {
    var note = $('checkin-note').value.trim();
    if (special && !note) return H.showError('checkin-error', 'Tulis keterangan tugas untuk absen khusus.');
    var pos = shot.pos || H.app.position;
    if (!pos && !kiosk && !H.relay) return H.showError('checkin-error', 'Lokasi belum didapat. Tunggu sebentar.');
    sending = true;
    updateSend();
    $('checkin-send').textContent = 'Mengirim…';
    var s = shot;
    var key = H.uuid();
    blobToBuffer(s.blob).then(function (buf) {
      // Signed with this phone's device key (device.js); unsigned if that is not possible.
      return (H.relay ? Promise.resolve(null) : H.device.sign(key, buf)).then(function (proof) {
        return H.outbox.add(Object.assign({
          key: key, user_id: H.app.user.id, lat: pos ? pos.lat : undefined, lon: pos ? pos.lon : undefined,
          accuracy_m: pos ? Math.round(pos.accuracy * 10) / 10 : undefined,
          kiosk_code: kiosk ? kiosk.code : undefined,
          colleague_card: colleague ? colleague.code : undefined,
          captured_at: s.capturedAt, photo: buf, note: note || undefined, special: special,
          duty: special ? $('checkin-duty').value : undefined
        }, proof || {}));
      });
    }).then(function (item) {
      if (navigator.onLine === false) return { kind: 'retry', offline: true, item: item };
      return H.outbox.sendNow(item.key).then(function (out) { out.item = item; return out; });
    }).then(function (out) {
      result = { out: out, special: special, shot: s, pos: pos, kiosk: !!kiosk, colleague: !!colleague };
      H.app.refreshOutbox();
      H.app.go('#/hasil');
    }, function () {
      sending = false;
      updateSend();
      $('checkin-send').textContent = 'Kirim absen';
      H.showError('checkin-error', 'Absen tidak dapat disimpan di ponsel ini (penyimpanan penuh atau mode penyamaran).');
    });
  }

  // ---- the result screen ------------------------------------------------------------------
  function renderResult() {
    var r = result, out = r.out, box = $('result-box');
    var detail = '', title, icon, cls, message;
    $('result-special').hidden = true;
    $('result-retry').hidden = true;
    $('result-kinerja').hidden = true;
    var at = new Date(r.shot.capturedAt);
    var hhmm = String(at.getHours()).padStart(2, '0') + ':' + String(at.getMinutes()).padStart(2, '0');
    if (out.kind === 'sent') {
      var b = out.body || {}, p = b.punch || {}, v = b.verdict || {};
      // What happened, in colour and words: green on time, amber late or early (with the code
      // and minutes), grey when the punch does not count, blue when it waits for a decision.
      if (b.relay) {
        // The relay's time, shown on the phone's clock (the relay does not know the unit's zone).
        cls = 'ok'; icon = '✓'; title = 'Absen tercatat di kantor';
        p = { location: 'Jaringan kantor' };
        hhmm = String(new Date(b.punch.punched_at).getHours()).padStart(2, '0') + ':' +
          String(new Date(b.punch.punched_at).getMinutes()).padStart(2, '0');
      } else if (r.special || p.state === 'pending') {
        cls = 'pending'; icon = '⏳';
        title = r.special ? 'Absen khusus terkirim' : 'Menunggu pemeriksaan atasan';
      } else if (v.ignored) {
        cls = 'ignored'; icon = '–'; title = 'Tidak dihitung';
      } else if (v.code) {
        cls = 'late'; icon = '!';
        title = (v.minutes_late ? 'Terlambat ' + v.minutes_late + ' menit' :
          v.minutes_early ? 'Pulang ' + v.minutes_early + ' menit lebih awal' : 'Tercatat') + ' (' + v.code + ')';
      } else {
        cls = 'ok'; icon = '✓'; title = 'Absen berhasil';
      }
      message = b.message || 'Absen tercatat.';
      // At check-out the day's work report is offered (issue 22).
      if (!r.special && v.kind === 'check_out') $('result-kinerja').hidden = false;
      if (r.special) message += out.requestError ? ' ' + out.requestError.message : ' Permohonan persetujuan dikirim ke atasan.';
      // The server's message usually names the person already (for a colleague: them).
      var who = r.colleague || message.indexOf(H.app.user.name) >= 0 ? '' : H.app.user.name;
      detail = [who, b.relay ? 'pukul ' + hhmm : p.punched_at ? H.clock(p.punched_at) + (v.zone ? ' ' + v.zone : '') : '',
        p.location ? p.location + (p.distance_m != null ? ' (' + H.metres(p.distance_m) + ')' : '') : ''].filter(Boolean).join(' · ');
    } else if (out.kind === 'rejected') {
      var e = out.error || {};
      cls = 'bad'; icon = '✕';
      title = e.code === 'outside_geofence' ? 'Di luar area kantor' : 'Absen gagal';
      message = e.message;
      if (e.code === 'outside_geofence' && !r.special) {
        $('result-special').hidden = false;
        var d = e.details || {};
        if (d.distance_m != null) detail = 'Jarak ' + H.metres(d.distance_m) + ' dari ' + (d.location || 'kantor') + '.';
      } else {
        $('result-retry').hidden = false;
      }
    } else {
      cls = 'queued'; icon = '⏳';
      title = 'Absen disimpan';
      message = 'Belum terkirim — akan dikirim otomatis saat koneksi tersedia.';
      detail = 'Waktu absen tetap tercatat pukul ' + hhmm + ' (saat foto diambil).' +
        (out.kind === 'auth' ? ' Silakan masuk lagi agar absen dapat dikirim.' : out.error && out.error.code !== 'network' ? ' ' + out.error.message : '');
    }
    box.className = 'result ' + cls;
    $('result-icon').textContent = icon;
    $('result-title').textContent = title;
    $('result-message').textContent = message;
    $('result-detail').textContent = detail;
    $('result-done').focus();
  }

  H.checkin = { hasResult: function () { return !!result; } };

  document.addEventListener('DOMContentLoaded', function () {
    $('cam-shoot').addEventListener('click', shoot);
    $('cam-file').addEventListener('change', fromFile);
    $('cam-retake').addEventListener('click', function () { setShot(null); startCamera(); if (H.relay) shoot(); });
    $('checkin-send').addEventListener('click', send);
    $('checkin-cancel').addEventListener('click', function () { H.app.go('#/'); });
    $('result-done').addEventListener('click', function () { result = null; H.app.go('#/'); });
    $('result-retry').addEventListener('click', function () {
      var again = result && result.kiosk ? '#/pindai-qr' : result && result.colleague ? '#/pindai-rekan' : '#/absen';
      result = null;
      H.app.go(again);
    });
    $('result-kinerja').addEventListener('click', function () { result = null; H.app.go('#/kinerja'); });
    $('result-special').addEventListener('click', function () {
      var s = result.shot;
      reuse = { blob: s.blob, url: URL.createObjectURL(s.blob), capturedAt: s.capturedAt, pos: result.pos };
      result = null;
      H.app.go('#/absen-khusus');
    });
    H.app.onFix(function () { if (!$('screen-checkin').hidden) geoLine(); });
  });

  H.app.register('checkin', { enter: enter, leave: leave });
  H.app.register('result', { enter: renderResult });
})(self.H = self.H || {});
