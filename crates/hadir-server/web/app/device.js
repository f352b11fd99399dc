// Device key (issue 23): an ECDSA P-256 key pair made in this browser (the private key cannot be
// exported), kept in IndexedDB, its public key registered once per employee who uses this phone.
// Each check-in is signed over "hadir-checkin\n<idempotency key>\n<SHA-256 of the photo>", so the
// server can tell a known phone from a new or shared one. Anything failing (no WebCrypto, no
// network for the first registration) leaves the check-in unsigned; it is never held back.
(function (H) {
  'use strict';
  var KV = 'device';

  function b64url(buf) {
    var s = '', bytes = new Uint8Array(buf);
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function hex(buf) {
    return Array.prototype.map.call(new Uint8Array(buf), function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  function withTimeout(p, ms) {
    return Promise.race([p, new Promise(function (_, reject) { setTimeout(function () { reject(new Error('timeout')); }, ms); })]);
  }

  // The stored key pair, made on first use.
  function keyPair() {
    return H.idb.get('kv', KV).then(function (d) {
      if (d && d.privateKey && d.publicRaw) return d;
      return crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']).then(function (pair) {
        return crypto.subtle.exportKey('raw', pair.publicKey).then(function (raw) {
          var fresh = { privateKey: pair.privateKey, publicRaw: raw, key_id: null, registered: [] };
          return H.idb.put('kv', fresh, KV).then(function () { return fresh; });
        });
      });
    });
  }

  // Registered for the employee logged in now (once per employee; the server answers the id).
  function registered(d) {
    var user = H.app && H.app.user && H.app.user.id;
    if (d.key_id && d.registered.indexOf(user) >= 0) return Promise.resolve(d);
    return withTimeout(H.api.post('/api/v1/me/device-keys', { public_key: b64url(d.publicRaw) }), 3000).then(function (r) {
      d.key_id = r.key_id;
      d.registered = d.registered.concat([user]);
      return H.idb.put('kv', d, KV).then(function () { return d; });
    });
  }

  H.device = {
    // Resolves {device_key, device_signature} for this check-in, or null; never rejects.
    sign: function (idempotencyKey, photo) {
      if (!window.crypto || !crypto.subtle || !H.idb) return Promise.resolve(null);
      return keyPair().then(registered).then(function (d) {
        var hashed = photo ? crypto.subtle.digest('SHA-256', photo).then(hex) : Promise.resolve('');
        return hashed.then(function (h) {
          var msg = new TextEncoder().encode('hadir-checkin\n' + idempotencyKey + '\n' + h);
          return crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, d.privateKey, msg);
        }).then(function (sig) { return { device_key: d.key_id, device_signature: b64url(sig) }; });
      }).catch(function () { return null; });
    }
  };
})(self.H = self.H || {});
