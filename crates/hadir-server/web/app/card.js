// "Kartu QR saya" (issue 21): the employee's personal QR card, shown and printed from the app,
// for a colleague's "Absen untuk rekan" when this phone fails. Reissuing revokes the old card.
(function (H) {
  'use strict';
  var $ = H.$;

  function render(b) {
    var doc = new DOMParser().parseFromString(b.svg, 'image/svg+xml');
    $('card-qr').replaceChildren(document.importNode(doc.documentElement, true));
    $('card-qr').setAttribute('data-code', b.code);
    $('card-name').textContent = b.name;
    $('card-nip').textContent = b.nip ? 'NIP ' + b.nip : '';
    $('card-unit').textContent = b.unit_name;
    $('card-version').textContent = 'Kartu ke-' + b.version;
  }

  function load(p) {
    H.showError('card-error', '');
    return p.then(render, function (e) {
      H.showError('card-error', (e && e.message) || 'Kartu tidak dapat dimuat. Periksa koneksi, lalu coba lagi.');
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    $('card-print').addEventListener('click', function () { window.print(); });
    $('card-reissue').addEventListener('click', function () {
      if (!window.confirm('Ganti kartu? Kartu lama (termasuk yang sudah dicetak) tidak berlaku lagi.')) return;
      load(H.api.post('/api/v1/me/qr-card/reissue', {}));
    });
  });

  H.app.register('card', { enter: function () { load(H.api.get('/api/v1/me/qr-card')); } });
})(self.H = self.H || {});
