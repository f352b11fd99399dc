// Where the phone is, and how far from the office. The server decides the geofence; this is
// the same haversine it uses, so what the screen says matches the answer.
(function (H) {
  'use strict';
  var R = 6371008.8; // mean Earth radius, metres (as hadir-domain)
  var rad = function (d) { return d * Math.PI / 180; };

  H.geo = {
    distance: function (lat1, lon1, lat2, lon2) {
      var dLat = rad(lat2 - lat1), dLon = rad(lon2 - lon1);
      var a = Math.sin(dLat / 2) * Math.sin(dLat / 2) +
        Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
      return 2 * R * Math.asin(Math.min(1, Math.sqrt(a)));
    },

    // The closest office location: {location, distance, inside} or null when there is none.
    nearest: function (pos, locations) {
      var best = null;
      (locations || []).forEach(function (l) {
        var d = H.geo.distance(pos.lat, pos.lon, l.lat, l.lon);
        if (!best || d < best.distance) best = { location: l, distance: d, inside: d <= l.radius_m };
      });
      return best;
    },

    // Watches the position; onFix({lat, lon, accuracy, at}) and onError(message). Returns stop().
    watch: function (onFix, onError) {
      if (!navigator.geolocation) {
        onError('Ponsel atau peramban ini tidak dapat membaca lokasi.');
        return function () {};
      }
      var id = navigator.geolocation.watchPosition(function (p) {
        onFix({ lat: p.coords.latitude, lon: p.coords.longitude, accuracy: p.coords.accuracy, at: p.timestamp || Date.now() });
      }, function (e) {
        onError(e.code === 1
          ? 'Izin lokasi ditolak. Izinkan akses lokasi untuk Hadir di pengaturan peramban, lalu muat ulang.'
          : 'Lokasi belum didapat. Pastikan GPS aktif dan coba di tempat terbuka.');
      }, { enableHighAccuracy: true, maximumAge: 15000, timeout: 30000 });
      return function () { navigator.geolocation.clearWatch(id); };
    }
  };
})(self.H = self.H || {});
