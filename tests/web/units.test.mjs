// Plain-function checks of the app's scripts, run in Node without a browser: NIP grouping,
// the geofence distance (must agree with the server's haversine), idempotency keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { fileURLToPath } from 'node:url';

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../crates/hadir-server/web/app');
function load(...files) {
  const ctx = { crypto: globalThis.crypto, Math, Date, Number, String, Array, Object, Uint8Array, JSON };
  ctx.self = ctx;
  vm.createContext(ctx);
  for (const f of files) vm.runInContext(readFileSync(path.join(appDir, f), 'utf8'), ctx, { filename: f });
  return ctx.H;
}

test('NIP is grouped as 8-6-1-3 digits, other logins are left alone', () => {
  const H = load('nip.js');
  assert.equal(H.nip.format('198609262015051001'), '19860926 201505 1 001');
  assert.equal(H.nip.format('19860926 2015'), '19860926 2015');
  assert.equal(H.nip.format('198609262'), '19860926 2');
  assert.equal(H.nip.format('19860926.201505.1.001'), '19860926 201505 1 001');
  assert.equal(H.nip.format('admin'), 'admin');
  assert.equal(H.nip.clean('19860926 201505 1 001'), '198609262015051001');
  assert.equal(H.nip.clean(' operator.bkd '), 'operator.bkd');
});

test('distance agrees with the server: 2,000 m north is 2,000 m; the nearest location wins', () => {
  const H = load('geo.js');
  const office = { name: 'Kantor', lat: -0.4922, lon: 117.1656, radius_m: 100 };
  const metresPerDegree = 6371008.8 * Math.PI / 180;
  const at = (m) => ({ lat: office.lat + m / metresPerDegree, lon: office.lon });
  assert.ok(Math.abs(H.geo.distance(office.lat, office.lon, at(2000).lat, at(2000).lon) - 2000) < 0.01);
  assert.equal(H.geo.nearest(at(99), [office]).inside, true);
  assert.equal(H.geo.nearest(at(101), [office]).inside, false);
  const annex = { name: 'Gedung B', lat: at(500).lat, lon: office.lon, radius_m: 50 };
  const n = H.geo.nearest(at(480), [office, annex]);
  assert.equal(n.location.name, 'Gedung B');
  assert.equal(n.inside, true);
  assert.equal(H.geo.nearest(at(0), []), null);
});

test('idempotency keys are v4 UUIDs, also without crypto.randomUUID', () => {
  const H = load('util.js');
  const re = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  assert.match(H.uuid(), re);
  const ctx = { crypto: { getRandomValues: (a) => globalThis.crypto.getRandomValues(a) }, Math, Uint8Array, Array, String };
  ctx.self = ctx;
  vm.createContext(ctx);
  vm.runInContext(readFileSync(path.join(appDir, 'util.js'), 'utf8'), ctx);
  const keys = new Set(Array.from({ length: 1000 }, () => ctx.H.uuid()));
  assert.equal(keys.size, 1000);
  for (const k of keys) assert.match(k, re);
});
