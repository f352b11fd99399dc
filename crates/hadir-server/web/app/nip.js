// NIP display: 18 digits grouped as "19860926 201505 1 001" (birth date, appointment,
// gender, sequence). Other logins (honorer numbers, names) are left as typed.
(function (H) {
  'use strict';
  var GROUPS = [8, 6, 1, 3];

  H.nip = {
    // Digits only (spaces and dots are how people paste NIPs).
    clean: function (s) {
      var t = String(s || '').replace(/[\s.]/g, '');
      return /^\d+$/.test(t) ? t : String(s || '').trim();
    },
    format: function (s) {
      var d = String(s || '').replace(/[\s.]/g, '');
      if (!/^\d+$/.test(d)) return String(s || '');
      var out = [], i = 0;
      for (var g = 0; g < GROUPS.length && i < d.length; g++) {
        out.push(d.slice(i, i + GROUPS[g]));
        i += GROUPS[g];
      }
      if (i < d.length) out[out.length - 1] += d.slice(i); // longer than a NIP: keep, do not drop
      return out.join(' ');
    },
    // Formats an input while typing, keeping the caret after the same digit.
    attach: function (input) {
      input.addEventListener('input', function () {
        var v = input.value;
        if (!/^[\d\s.]*$/.test(v)) return;
        var caret = input.selectionStart == null ? v.length : input.selectionStart;
        var digitsBefore = v.slice(0, caret).replace(/\D/g, '').length;
        var f = H.nip.format(v);
        if (f === v) return;
        input.value = f;
        var pos = 0, seen = 0;
        while (pos < f.length && seen < digitsBefore) { if (/\d/.test(f[pos])) seen++; pos++; }
        try { input.setSelectionRange(pos, pos); } catch (e) { /* some input types refuse */ }
      });
    }
  };
})(self.H = self.H || {});
