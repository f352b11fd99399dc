// Small helpers shared by the screens (and, for uuid, by the service worker).
(function (H) {
  'use strict';

  // An idempotency key: crypto.randomUUID where the browser has it (secure contexts, 2021+),
  // otherwise a v4 UUID from getRandomValues, otherwise Math.random (old browsers only).
  H.uuid = function () {
    var c = self.crypto;
    if (c && c.randomUUID) return c.randomUUID();
    var b = new Uint8Array(16);
    if (c && c.getRandomValues) c.getRandomValues(b);
    else for (var i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  };

  if (typeof document === 'undefined') return; // the rest is for pages only

  // Served by an office relay on the LAN (issue 21): plain HTTP, so no live camera and no
  // position; sign-in and check-in only, recorded by the relay and forwarded later.
  H.relay = document.documentElement.getAttribute('data-mode') === 'relay';

  H.$ = function (id) { return document.getElementById(id); };

  // Creates an element: el('li', {className: 'x'}, ['text', child]). Text is never parsed as HTML.
  H.el = function (tag, props, children) {
    var e = document.createElement(tag);
    if (props) Object.keys(props).forEach(function (k) {
      if (k === 'dataset') Object.assign(e.dataset, props[k]);
      else if (k.indexOf('aria-') === 0 || k === 'role') e.setAttribute(k, props[k]);
      else e[k] = props[k];
    });
    (children || []).forEach(function (c) {
      if (c == null) return;
      e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return e;
  };

  H.clear = function (e) { while (e.firstChild) e.removeChild(e.firstChild); return e; };

  H.showError = function (id, msg) {
    var e = H.$(id);
    e.textContent = msg || '';
    e.hidden = !msg;
  };

  var DAYS = ['Minggu', 'Senin', 'Selasa', 'Rabu', 'Kamis', 'Jumat', 'Sabtu'];
  var MONTHS = ['Januari', 'Februari', 'Maret', 'April', 'Mei', 'Juni', 'Juli', 'Agustus',
    'September', 'Oktober', 'November', 'Desember'];
  H.DAYS = DAYS;
  H.MONTHS = MONTHS;

  // "2026-11-24" -> "Selasa, 24 November 2026" (a civil date: no time zone involved).
  H.longDate = function (iso) {
    var p = iso.split('-').map(Number);
    var d = new Date(Date.UTC(p[0], p[1] - 1, p[2]));
    return DAYS[d.getUTCDay()] + ', ' + p[2] + ' ' + MONTHS[p[1] - 1] + ' ' + p[0];
  };

  // "2026-11" -> "November 2026"
  H.monthTitle = function (ym) {
    var p = ym.split('-').map(Number);
    return MONTHS[p[1] - 1] + ' ' + p[0];
  };

  // "07:42" from an RFC 3339 time with the unit's offset ("2026-11-24T07:42:10+08:00"):
  // the wall clock of the unit, read from the string rather than the phone's own zone.
  H.clock = function (rfc3339) {
    var m = /T(\d\d:\d\d)/.exec(rfc3339 || '');
    return m ? m[1] : '';
  };

  // The phone's local date as YYYY-MM-DD.
  H.todayIso = function () {
    var d = new Date();
    return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0') + '-' + String(d.getDate()).padStart(2, '0');
  };

  // 0.5 -> "0,5%"
  H.percent = function (v) {
    if (v == null || v === '') return '';
    return String(Math.round(Number(v) * 100) / 100).replace('.', ',') + '%';
  };

  // 81000 -> "Rp 81.000"
  H.rupiah = function (v) {
    if (v == null || !isFinite(v)) return '';
    return 'Rp ' + String(Math.round(Math.abs(v))).replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  };

  H.metres = function (m) {
    if (m == null || !isFinite(m)) return '?';
    return m >= 1000 ? (m / 1000).toFixed(1).replace('.', ',') + ' km' : Math.round(m) + ' m';
  };
})(self.H = self.H || {});
