// The session and JSON calls to /api/v1. The session lives in localStorage (the page) and its
// token is mirrored to IndexedDB so the service worker can send queued check-ins.
(function (H) {
  'use strict';
  var KEY = 'hadir.session';
  var expiredHandler = null;

  function ApiError(status, code, message, details) {
    this.status = status; this.code = code; this.message = message; this.details = details;
  }
  ApiError.prototype = Object.create(Error.prototype);
  H.ApiError = ApiError;

  var api = H.api = {
    session: function () {
      try {
        var s = JSON.parse(localStorage.getItem(KEY) || 'null');
        if (s && s.expires_at && Date.parse(s.expires_at) < Date.now()) return null;
        return s;
      } catch (e) { return null; }
    },

    onExpired: function (fn) { expiredHandler = fn; },

    // fetch with the bearer token; JSON in and out; errors become ApiError with the server's
    // Indonesian message, or a plain one when there is no answer at all.
    request: function (method, path, body, opts) {
      var s = api.session();
      var headers = { Accept: 'application/json' };
      if (s) headers.Authorization = 'Bearer ' + s.token;
      var init = { method: method, headers: headers };
      if (body instanceof FormData) init.body = body;
      else if (body !== undefined) { headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
      return fetch(path, init).then(function (res) {
        if (res.status === 204) return null;
        if (opts && opts.raw && res.ok) return res;
        return res.json().catch(function () { return null; }).then(function (data) {
          if (res.ok) return data;
          var e = (data && data.error) || {};
          var err = new ApiError(res.status, e.code || 'http_' + res.status,
            e.message || 'Terjadi kesalahan di server (' + res.status + ').', e.details);
          if (res.status === 401 && s && path.indexOf('/auth/') < 0 && expiredHandler) expiredHandler();
          throw err;
        });
      }, function () {
        throw new ApiError(0, 'network', 'Tidak dapat terhubung ke server. Periksa koneksi internet Anda.');
      });
    },
    get: function (path) { return api.request('GET', path); },
    post: function (path, body) { return api.request('POST', path, body); },

    login: function (username, password) {
      return api.post('/api/v1/auth/login', { username: username, password: password }).then(function (r) {
        localStorage.setItem(KEY, JSON.stringify(r));
        return H.idb.put('kv', { token: r.token, user_id: r.user.id }, 'session').catch(function () {}).then(function () { return r; });
      });
    },

    // Changes one's own password with the current one. The server ends every session and
    // answers with a fresh one (without the reset notice), kept like a login.
    changePassword: function (current, next) {
      return api.post('/api/v1/me/password', { current_password: current, new_password: next }).then(function (r) {
        localStorage.setItem(KEY, JSON.stringify(r));
        return H.idb.put('kv', { token: r.token, user_id: r.user.id }, 'session').catch(function () {}).then(function () { return r; });
      });
    },

    // Forgets the session here and on the server; cached API answers go too (they are personal).
    // Queued check-ins stay: they belong to the person and are sent after the next login.
    logout: function () {
      var s = api.session();
      var done = function () {
        localStorage.removeItem(KEY);
        localStorage.removeItem('hadir.locations');
        if (self.caches) caches.delete('hadir-api');
        return H.idb.del('kv', 'session').catch(function () {});
      };
      if (!s) return done();
      return api.request('POST', '/api/v1/auth/logout').catch(function () {}).then(done);
    },

    // An authorised image (punch photos need the bearer token) as an object URL.
    imageUrl: function (path) {
      return api.request('GET', path, undefined, { raw: true })
        .then(function (res) { return res.blob(); })
        .then(function (b) { return URL.createObjectURL(b); });
    }
  };
})(self.H = self.H || {});
