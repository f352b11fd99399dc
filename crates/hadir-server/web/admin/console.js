// Hadir console: small helpers without a framework (the CSP allows scripts from 'self' only).
// - "Pakai lokasi saya": fills a location form's latitude and longitude from the browser.
// - Where the deployment sets a tile URL (internet available), each unit's locations are also
//   drawn on a Leaflet map (vendored from npm); a click on the map fills the "add location"
//   form. Without a tile URL only the server's scaled sketch is shown.
(function () {
  'use strict';

  document.addEventListener('click', function (ev) {
    var btn = ev.target.closest && ev.target.closest('button.use-my-location');
    if (!btn) return;
    ev.preventDefault();
    var form = btn.closest('form');
    var lat = form.querySelector('input[name="lat"]');
    var lon = form.querySelector('input[name="lon"]');
    var out = form.querySelector('.geo-status');
    var say = function (t) { if (out) out.textContent = t; };
    if (!navigator.geolocation) { say('Peramban ini tidak dapat membaca lokasi; isi koordinat dengan tangan.'); return; }
    say('Membaca lokasi…');
    navigator.geolocation.getCurrentPosition(function (p) {
      lat.value = p.coords.latitude.toFixed(6);
      lon.value = p.coords.longitude.toFixed(6);
      say('Lokasi Anda diisi (akurasi ' + Math.round(p.coords.accuracy) + ' m). Periksa, lalu simpan.');
    }, function (e) {
      say(e.code === 1 ? 'Izin lokasi ditolak; isi koordinat dengan tangan.' : 'Lokasi tidak terbaca; coba lagi atau isi dengan tangan.');
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 0 });
  });

  function initMaps() {
    var cfg = document.getElementById('map-config');
    if (!cfg || !cfg.dataset.tiles || !window.L) return;
    document.querySelectorAll('.locations[data-points]').forEach(function (box) {
      if (box.querySelector('.live-map')) return;
      var pts = [];
      try { pts = JSON.parse(box.dataset.points || '[]'); } catch (e) { return; }
      var div = document.createElement('div');
      div.className = 'live-map';
      box.insertBefore(div, box.firstChild);
      var map = L.map(div, { scrollWheelZoom: false });
      L.tileLayer(cfg.dataset.tiles, { maxZoom: 19, attribution: cfg.dataset.attribution || '' }).addTo(map);
      var shapes = pts.map(function (p) {
        return L.circle([p.lat, p.lon], { radius: p.radius }).addTo(map).bindTooltip(p.name);
      });
      if (shapes.length) map.fitBounds(L.featureGroup(shapes).getBounds().pad(0.5));
      else map.setView([-2.5, 118], 4);
      map.on('click', function (e) {
        var add = box.querySelector('details.add-location');
        if (!add) return;
        add.open = true;
        add.querySelector('input[name="lat"]').value = e.latlng.lat.toFixed(6);
        add.querySelector('input[name="lon"]').value = e.latlng.lng.toFixed(6);
      });
    });
  }
  document.addEventListener('DOMContentLoaded', initMaps);
  document.addEventListener('htmx:afterSettle', initMaps);
})();
