// The check-in outbox: every punch is written to IndexedDB first and removed only when the
// server has answered for good, so closing the browser, losing signal or a 503 never loses it.
// The same idempotency key is sent on every retry; the server stores one punch per key.
// Used by the page and by the service worker (Background Sync), which may both flush: a Web
// Lock keeps them from sending at the same time, and the key keeps it safe even without one.
(function (H) {
  'use strict';
  var STORE = 'outbox';
  var MAX_BACKOFF_MS = 5 * 60 * 1000;
  var listeners = [];
  var channel = typeof BroadcastChannel !== 'undefined' ? new BroadcastChannel('hadir-outbox') : null;
  var localChain = Promise.resolve();

  function notify(msg) {
    msg = msg || { type: 'changed' };
    listeners.forEach(function (fn) { try { fn(msg); } catch (e) { /* a screen's bug must not stop the queue */ } });
    if (channel) channel.postMessage(msg);
  }
  if (channel) channel.onmessage = function (ev) {
    listeners.forEach(function (fn) { try { fn(ev.data); } catch (e) { /* ignore */ } });
  };

  // One sender at a time across tabs and the service worker where Web Locks exist.
  function withLock(fn) {
    if (self.navigator && navigator.locks && navigator.locks.request) {
      return navigator.locks.request('hadir-outbox', fn);
    }
    var run = localChain.then(fn, fn);
    localChain = run.catch(function () {});
    return run;
  }

  // Seconds or an HTTP date; spread a little so a crowd told "5 s" does not return as one.
  function retryAfterMs(res, fallbackMs) {
    var v = res && res.headers.get('Retry-After');
    var ms = fallbackMs;
    if (v) {
      var n = Number(v);
      ms = isFinite(n) ? n * 1000 : Math.max(0, Date.parse(v) - Date.now()) || fallbackMs;
    }
    return Math.round(ms * (1 + Math.random() * 0.5));
  }

  function backoffMs(attempts) {
    return Math.min(MAX_BACKOFF_MS, 5000 * Math.pow(2, Math.min(attempts, 8)));
  }

  function session() { return H.idb.get('kv', 'session'); }

  // Sends one item. Resolves with {kind: 'sent'|'rejected'|'retry'|'auth', ...}; never rejects.
  function post(item, token) {
    var meta = {
      idempotency_key: item.key, lat: item.lat, lon: item.lon, accuracy_m: item.accuracy_m,
      captured_at: item.captured_at
    };
    if (item.note) meta.note = item.note;
    if (item.kiosk_code) meta.kiosk_code = item.kiosk_code;
    if (item.colleague_card) meta.colleague_card = item.colleague_card;
    if (item.special) { meta.special = true; meta.special_type = item.duty || 'DINAS_LUAR'; }
    if (item.device_key) { meta.device_key = item.device_key; meta.device_signature = item.device_signature; }
    var form = new FormData();
    form.append('meta', JSON.stringify(meta));
    // Stored as an ArrayBuffer: older Safari versions lose Blobs kept in IndexedDB.
    if (item.photo) {
      var photo = item.photo instanceof Blob ? item.photo : new Blob([item.photo], { type: 'image/jpeg' });
      form.append('photo', photo, 'swafoto.jpg');
    }
    return fetch('/api/v1/checkins', {
      method: 'POST', body: form, cache: 'no-store',
      headers: { Authorization: 'Bearer ' + token }
    }).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (body) {
        if (res.ok) return { kind: 'sent', status: res.status, body: body };
        var err = (body && body.error) || { code: 'http_' + res.status, message: 'Server menjawab ' + res.status + '.' };
        if (res.status === 401) return { kind: 'auth', error: err };
        if (res.status === 408 || res.status === 429 || res.status >= 500) {
          return { kind: 'retry', error: err, afterMs: retryAfterMs(res, backoffMs(item.attempts || 0)) };
        }
        return { kind: 'rejected', status: res.status, error: err };
      });
    }, function () {
      return {
        kind: 'retry', afterMs: backoffMs(item.attempts || 0),
        error: { code: 'network', message: 'Tidak ada koneksi ke server.' }
      };
    });
  }

  // Applies an answer to the stored item. Interactive sends drop rejected items (the person
  // sees the red answer right away); background ones keep them as "failed" to be shown.
  function settle(item, out, interactive) {
    if (out.kind === 'sent') {
      return H.idb.del(STORE, item.key).then(function () {
        notify({ type: 'sent', key: item.key, message: out.body && out.body.message, background: !interactive });
        return out;
      });
    }
    if (out.kind === 'rejected' && interactive) {
      return H.idb.del(STORE, item.key).then(function () { notify(); return out; });
    }
    item.attempts = (item.attempts || 0) + 1;
    item.last_error = out.error || null;
    if (out.kind === 'rejected') item.state = 'failed';
    if (out.kind === 'retry') item.next_at = Date.now() + out.afterMs;
    if (out.kind === 'auth') item.next_at = Date.now() + 60000; // wait for a new login, not a loop
    return H.idb.put(STORE, item).then(function () { notify(); return out; });
  }

  // Special attendance needs the head's approval. The server opens that request itself when
  // it stores the punch (meta.special_type), but only logs it if that fails; so the app makes
  // sure: it files the request with the punch id, and 409 "already requested" (the normal
  // answer) counts as done. If this cannot be done now, the item stays queued: the check-in is
  // resent with the same key (the server answers with the same punch) and this is tried again.
  function fileSpecialRequest(item, out, token) {
    var punch = out.body && out.body.punch;
    if (!item.special || !punch || !punch.id) return Promise.resolve(out);
    return fetch('/api/v1/requests', {
      method: 'POST', cache: 'no-store',
      headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        type: item.duty || 'DINAS_LUAR', punch_id: punch.id, reason: item.note || 'Absen khusus',
        // The punch's local date (its time carries the unit's offset).
        date_from: String(punch.punched_at).slice(0, 10), date_to: String(punch.punched_at).slice(0, 10)
      })
    }).then(function (res) {
      if (res.ok || res.status === 409 || res.status === 404) return out; // 404: a server without requests
      if (res.status === 401) return { kind: 'auth' };
      if (res.status >= 500 || res.status === 429) return { kind: 'retry', afterMs: retryAfterMs(res, backoffMs(item.attempts || 0)), error: { code: 'request', message: 'Permohonan absen khusus belum terkirim.' } };
      return res.json().catch(function () { return null; }).then(function (b) {
        out.requestError = (b && b.error) || { message: 'Permohonan absen khusus ditolak (' + res.status + ').' };
        return out;
      });
    }, function () {
      return { kind: 'retry', afterMs: backoffMs(item.attempts || 0), error: { code: 'network', message: 'Tidak ada koneksi ke server.' } };
    });
  }

  function sendLocked(item, token, interactive) {
    return post(item, token).then(function (out) {
      return out.kind === 'sent' ? fileSpecialRequest(item, out, token) : out;
    }).then(function (out) { return settle(item, out, interactive); });
  }

  H.outbox = {
    onChange: function (fn) { listeners.push(fn); },

    // Stores a new punch: {lat, lon, accuracy_m, captured_at, photo, note, special, user_id}.
    add: function (p) {
      var item = Object.assign({ key: H.uuid(), created_at: Date.now(), state: 'pending', attempts: 0, next_at: 0 }, p);
      return H.idb.put(STORE, item).then(function () { notify(); return item; });
    },

    list: function (userId) {
      return H.idb.getAll(STORE).then(function (all) {
        return all.filter(function (i) { return userId == null || i.user_id === userId; })
          .sort(function (a, b) { return a.created_at - b.created_at; });
      });
    },

    dismiss: function (key) { return H.idb.del(STORE, key).then(function () { notify(); }); },

    // Sends one stored item now (the "Kirim absen" button).
    sendNow: function (key) {
      return withLock(function () {
        return Promise.all([H.idb.get(STORE, key), session()]).then(function (r) {
          var item = r[0], s = r[1];
          if (!item) return { kind: 'sent', body: null, already: true }; // a flush got there first
          if (!s || !s.token) return { kind: 'auth' };
          return sendLocked(item, s.token, true);
        });
      });
    },

    // Sends every due item of the signed-in user, oldest first; stops at the first sign that
    // the network or the server is not ready. force: ignore the back-off times.
    flush: function (force) {
      return withLock(function () {
        return session().then(function (s) {
          if (!s || !s.token) return { pending: -1 };
          return H.outbox.list(s.user_id).then(function (items) {
            var due = items.filter(function (i) { return i.state === 'pending' && (force || !i.next_at || i.next_at <= Date.now()); });
            var sent = 0, auth = false;
            function next(i) {
              if (i >= due.length) return Promise.resolve();
              return sendLocked(due[i], s.token, false).then(function (out) {
                if (out.kind === 'sent') sent++;
                if (out.kind === 'auth') auth = true;
                if (out.kind === 'retry' || out.kind === 'auth') return; // try again later
                return next(i + 1);
              });
            }
            return next(0).then(function () {
              return H.outbox.list(s.user_id).then(function (left) {
                return { sent: sent, auth: auth, pending: left.filter(function (i) { return i.state === 'pending'; }).length };
              });
            });
          });
        });
      });
    },

    // When the next pending item may be retried (ms since epoch), or null.
    nextDue: function (userId) {
      return H.outbox.list(userId).then(function (items) {
        var t = items.filter(function (i) { return i.state === 'pending'; }).map(function (i) { return i.next_at || 0; });
        return t.length ? Math.min.apply(null, t) : null;
      });
    }
  };
})(self.H = self.H || {});
