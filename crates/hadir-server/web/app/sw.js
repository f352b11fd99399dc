// Service worker: the app shell from cache (works offline, fast on slow links), API reads
// network-first with the last answer as fallback, and Background Sync for queued check-ins.
// Never caches API writes. The server fills in the version and file list (see web/mod.rs), so
// any change to the app installs a new worker and a fresh shell cache.
/* global importScripts, H */
importScripts('/app/util.js', '/app/idb.js', '/app/outbox.js');

var VERSION = '__APP_VERSION__';
var FILES = "__APP_FILES__";
var SHELL = 'hadir-shell-' + VERSION;
var API = 'hadir-api';
var NAV_TIMEOUT_MS = 4000;
// Never the own-data export: a ZIP of one's photos must not stay in the phone's cache.
var APP_READS = /^\/api\/v1\/(me(\/(?!export$).*)?|units|punches|requests|employees\/[^/]+)$/;

self.addEventListener('install', function (ev) {
  var files = Array.isArray(FILES) ? FILES : ['/'];
  ev.waitUntil(caches.open(SHELL).then(function (c) {
    // cache: 'reload' skips the HTTP cache so the new shell is really the new one.
    return c.addAll(files.map(function (u) { return new Request(u, { cache: 'reload' }); }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (ev) {
  ev.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf('hadir-shell-') === 0 && k !== SHELL; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

function offlineJson() {
  return new Response(JSON.stringify({ error: { code: 'offline', message: 'Tidak ada koneksi internet. Data terakhir belum tersimpan di ponsel ini.' } }),
    { status: 503, headers: { 'Content-Type': 'application/json' } });
}

// API reads: fresh when possible, the last good answer when not.
function networkFirst(req) {
  return fetch(req).then(function (res) {
    if (res.ok) {
      var copy = res.clone();
      caches.open(API).then(function (c) { return c.put(req, copy); });
    }
    return res;
  }, function () {
    return caches.open(API).then(function (c) { return c.match(req); }).then(function (hit) { return hit || offlineJson(); });
  });
}

// Punch photos never change: once fetched, serve them from the cache.
function cacheFirst(req, cacheName) {
  return caches.open(cacheName).then(function (c) {
    return c.match(req).then(function (hit) {
      return hit || fetch(req).then(function (res) { if (res.ok) c.put(req, res.clone()); return res; });
    });
  });
}

// The page itself: the network if it answers quickly, else the cached shell (lie-fi, offline).
function page(req) {
  return caches.open(SHELL).then(function (c) {
    return new Promise(function (resolve) {
      var done = false;
      var fallback = function () {
        c.match('/').then(function (hit) { if (!done && hit) { done = true; resolve(hit); } });
      };
      var timer = setTimeout(fallback, NAV_TIMEOUT_MS);
      fetch(req).then(function (res) {
        clearTimeout(timer);
        if (!done) { done = true; resolve(res); }
      }, function () {
        clearTimeout(timer);
        c.match('/').then(function (hit) { if (!done) { done = true; resolve(hit || offlineJson()); } });
      });
    });
  });
}

self.addEventListener('fetch', function (ev) {
  var req = ev.request;
  if (req.method !== 'GET') return; // writes go straight to the network, never cached
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (/^\/api\/v1\/punches\/\d+\/photo$/.test(url.pathname)) return ev.respondWith(cacheFirst(req, API));
  // Only the employee app's own reads; anything else (the console, integrations) passes by.
  if (APP_READS.test(url.pathname)) return ev.respondWith(networkFirst(req));
  if (url.pathname === '/' || url.pathname === '/index.html') return ev.respondWith(page(req));
  if (url.pathname.indexOf('/app/') === 0) {
    ev.respondWith(caches.open(SHELL).then(function (c) {
      return c.match(req).then(function (hit) { return hit || fetch(req); });
    }));
  }
});

// The browser wakes us when the network is back (Chrome/Android), even with Hadir closed.
// Rejecting asks it to try again later while punches are still waiting.
self.addEventListener('sync', function (ev) {
  if (ev.tag !== 'hadir-outbox') return;
  ev.waitUntil(H.outbox.flush(true).then(function (r) {
    if (r && r.pending > 0) throw new Error(r.pending + ' absen masih menunggu');
  }));
});

// Notifications (issue 25): the server's push carries {kind, title, body, url, tag}, encrypted
// for this browser; the browser has already decrypted it.
self.addEventListener('push', function (ev) {
  var m = {};
  try { m = ev.data ? ev.data.json() : {}; } catch (e) { m = { body: ev.data ? ev.data.text() : '' }; }
  ev.waitUntil(self.registration.showNotification(m.title || 'Hadir', {
    body: m.body || '',
    tag: m.tag || undefined,
    icon: '/app/icon-192.png',
    data: { url: m.url || '/' }
  }));
});

self.addEventListener('notificationclick', function (ev) {
  ev.notification.close();
  var url = (ev.notification.data && ev.notification.data.url) || '/';
  if (url.charAt(0) !== '/') url = '/'; // only this app's own pages
  ev.waitUntil(self.clients.matchAll({ type: 'window' }).then(function (list) {
    for (var i = 0; i < list.length; i++) {
      if ('focus' in list[i]) { list[i].navigate(url); return list[i].focus(); }
    }
    return self.clients.openWindow(url);
  }));
});
