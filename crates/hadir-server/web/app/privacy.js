// "Data saya" (issue 17, UU 27/2022 PDP): the privacy notice (what is collected, why, for how
// long: from the server's retention settings), who viewed my data, and my own-data download.
(function (H) {
  'use strict';
  var $ = H.$, el = H.el;

  // "2026-12-06T14:05:00+07:00" -> "6 Desember 2026 14.05 WIB" (the server sends WIB).
  function when(rfc3339) {
    var m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)/.exec(rfc3339 || '');
    if (!m) return rfc3339 || '';
    return Number(m[3]) + ' ' + H.MONTHS[Number(m[2]) - 1] + ' ' + m[1] + ' ' + m[4] + '.' + m[5] + ' WIB';
  }

  function loadNotice() {
    var box = H.clear($('privacy-notice'));
    return H.api.get('/api/v1/privacy').then(function (n) {
      (n.paragraphs || []).forEach(function (p) { box.appendChild(el('p', {}, [p])); });
    }, function (e) { H.showError('privacy-error', e.message); });
  }

  function loadLog() {
    var ul = H.clear($('access-list'));
    return H.api.get('/api/v1/me/access-log?limit=100').then(function (r) {
      $('access-total').textContent = r.total ? r.total + ' kali data Anda dilihat orang lain.' :
        'Belum ada orang lain yang melihat swafoto, lokasi atau lampiran Anda.';
      (r.items || []).forEach(function (a) {
        ul.appendChild(el('li', {}, [
          el('strong', {}, [a.viewer_name]),
          el('span', { className: 'small' }, [' melihat ' + a.kind_label + ' Anda']),
          el('div', { className: 'muted small' }, [when(a.at)])
        ]));
      });
    }, function (e) { H.showError('privacy-error', e.message); });
  }

  function download() {
    var btn = $('export-btn');
    btn.disabled = true;
    btn.textContent = 'Menyiapkan…';
    H.showError('privacy-error', '');
    H.api.request('GET', '/api/v1/me/export', undefined, { raw: true }).then(function (res) {
      return res.blob();
    }).then(function (b) {
      var url = URL.createObjectURL(b);
      var a = el('a', { href: url, download: 'data-saya.zip' });
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
    }, function (e) {
      H.showError('privacy-error', e.message);
    }).then(function () {
      btn.disabled = false;
      btn.textContent = 'Unduh data saya (ZIP)';
    });
  }

  H.app.register('privacy', {
    enter: function () {
      H.showError('privacy-error', '');
      loadNotice();
      loadLog();
      if (H.notify) H.notify.enter();
    }
  });

  document.addEventListener('DOMContentLoaded', function () {
    $('export-btn').addEventListener('click', download);
  });
})(self.H = self.H || {});
