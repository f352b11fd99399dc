// A tiny promise wrapper over IndexedDB, used by the page and the service worker.
// Stores: "outbox" (queued check-ins, keyed by idempotency key) and "kv" (the session token,
// so the service worker can send the queue while no page is open).
(function (H) {
  'use strict';
  var DB_NAME = 'hadir', DB_VERSION = 1, dbp = null;

  function open() {
    if (dbp) return dbp;
    dbp = new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB_NAME, DB_VERSION);
      req.onupgradeneeded = function () {
        var db = req.result;
        if (!db.objectStoreNames.contains('outbox')) db.createObjectStore('outbox', { keyPath: 'key' });
        if (!db.objectStoreNames.contains('kv')) db.createObjectStore('kv');
      };
      req.onsuccess = function () {
        var db = req.result;
        // Another tab upgrading the schema: let it, and reopen next time.
        db.onversionchange = function () { db.close(); dbp = null; };
        resolve(db);
      };
      req.onerror = function () { dbp = null; reject(req.error); };
    });
    return dbp;
  }

  // Runs fn(store) in one transaction; resolves with the last request's result once committed.
  function tx(storeName, mode, fn) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(storeName, mode), result;
        var req = fn(t.objectStore(storeName));
        if (req) req.onsuccess = function () { result = req.result; };
        t.oncomplete = function () { resolve(result); };
        t.onerror = t.onabort = function () { reject(t.error || new Error('IndexedDB transaction failed')); };
      });
    });
  }

  H.idb = {
    get: function (store, key) { return tx(store, 'readonly', function (s) { return s.get(key); }); },
    getAll: function (store) { return tx(store, 'readonly', function (s) { return s.getAll(); }); },
    put: function (store, value, key) {
      return tx(store, 'readwrite', function (s) { return key === undefined ? s.put(value) : s.put(value, key); });
    },
    del: function (store, key) { return tx(store, 'readwrite', function (s) { return s.delete(key); }); }
  };
})(self.H = self.H || {});
