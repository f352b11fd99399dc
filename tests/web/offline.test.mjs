// Offline: the punch is queued in IndexedDB, survives a reload (the service worker serves the
// app without a network), and is sent exactly once when the network returns.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, launch, phone, uiLogin, takeSelfie, screenshot, apiLogin, officeLocation, north, punchesOn, todayIn
} from './harness.mjs';

let server, browser, office, token;
before(async () => {
  server = await startServer();
  browser = await launch();
  token = await apiLogin(server);
  office = await officeLocation(server, token);
});
after(async () => { await browser?.close(); await server?.stop(); });

const queued = (page) => page.evaluate(() => H.outbox.list().then((items) => items.map((i) => ({ key: i.key, captured_at: i.captured_at, state: i.state }))));

test('offline punch is queued, kept across a reload, and sent once back online', async () => {
  const ctx = await phone(browser, server, north(office, 25));
  const page = await ctx.newPage();
  await uiLogin(page, server);
  // The service worker must control the page before the network goes, or a reload fails.
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 15000 });
  await page.locator('#geo-status.inside').waitFor();

  await ctx.setOffline(true);
  await page.locator('#offline-banner').waitFor({ state: 'visible' });
  assert.equal(await page.evaluate(() => fetch('/healthz').then(() => 'online', () => 'offline')), 'offline');
  await page.locator('#btn-absen').click();
  await takeSelfie(page);
  await page.locator('#checkin-send').click();
  await page.locator('#result-box.queued').waitFor();
  assert.equal(await page.locator('#result-title').textContent(), 'Absen disimpan');
  await page.locator('#outbox-banner').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#outbox-text').textContent(), '1 absen menunggu dikirim');
  await screenshot(page, '07-result-queued');

  const before = await queued(page);
  assert.equal(before.length, 1);
  assert.equal(before[0].state, 'pending');

  // A reload without network: the app comes from the service worker, the queue from IndexedDB.
  await page.reload();
  await page.locator('#screen-home').waitFor({ state: 'visible' });
  await page.locator('#outbox-banner').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#outbox-text').textContent(), '1 absen menunggu dikirim');
  assert.deepEqual(await queued(page), before, 'the same item, with the same key, is still queued');
  await screenshot(page, '08-home-queued');
  assert.equal((await punchesOn(server, token, server.employee.username, todayIn())).length, 0);

  await ctx.setOffline(false);
  await page.locator('#outbox-banner').waitFor({ state: 'hidden', timeout: 30000 });
  assert.deepEqual(await queued(page), []);
  await page.locator('#toast').waitFor({ state: 'visible' });
  assert.match(await page.locator('#toast').textContent(), /Absen tertunda terkirim/);
  await screenshot(page, '09-home-sent');

  // Exactly one punch, timed at the capture, even if the page and the worker both tried.
  await page.waitForTimeout(1500);
  const items = await punchesOn(server, token, server.employee.username, todayIn());
  assert.equal(items.length, 1, JSON.stringify(items));
  assert.equal(Date.parse(items[0].captured_at), Date.parse(before[0].captured_at));
  assert.equal(items[0].source, 'mobile');

  // Sending the same key again (a retry after a lost answer) adds nothing.
  const again = await page.evaluate(async (item) => {
    const s = JSON.parse(localStorage.getItem('hadir.session'));
    const f = new FormData();
    f.append('meta', JSON.stringify({ idempotency_key: item.key, lat: 0, lon: 0, accuracy_m: 5, captured_at: item.captured_at }));
    f.append('photo', new Blob([new Uint8Array([0xff, 0xd8, 0xff, 0xe0])], { type: 'image/jpeg' }), 'x.jpg');
    const r = await fetch('/api/v1/checkins', { method: 'POST', body: f, headers: { Authorization: 'Bearer ' + s.token } });
    return r.status;
  }, before[0]);
  assert.equal(again, 200);
  assert.equal((await punchesOn(server, token, server.employee.username, todayIn())).length, 1);
  await ctx.close();
});

test('503 from a busy server keeps the punch queued and retries after Retry-After', async () => {
  const ctx = await phone(browser, server, north(office, 25));
  let refused = 0;
  // The first two attempts meet an overloaded server; later ones pass through.
  await ctx.route('**/api/v1/checkins', (route) => {
    if (refused < 2) {
      refused++;
      return route.fulfill({
        status: 503, headers: { 'Retry-After': '1', 'Content-Type': 'application/json' },
        body: JSON.stringify({ error: { code: 'overloaded', message: 'Server sedang sangat sibuk.' } })
      });
    }
    return route.continue();
  });
  const page = await ctx.newPage();
  await uiLogin(page, server);
  const day = todayIn();
  const count = async () => (await punchesOn(server, token, server.employee.username, day)).length;
  const start = await count();
  await page.locator('#btn-absen').click();
  await takeSelfie(page);
  await page.locator('#checkin-send').click();
  await page.locator('#result-box.queued').waitFor();
  assert.match(await page.locator('#result-detail').textContent(), /sibuk/);
  const [item] = await queued(page);
  // Retried by itself (Retry-After: 1 s, then again), with the same key, until accepted.
  await page.locator('#outbox-banner').waitFor({ state: 'hidden', timeout: 30000 });
  assert.equal(refused, 2);
  const items = await punchesOn(server, token, server.employee.username, day);
  assert.equal(items.length, start + 1);
  assert.ok(items.some((p) => Date.parse(p.captured_at) === Date.parse(item.captured_at)));
  await ctx.close();
});

test('with the app closed, the service worker sends the queue on a Background Sync event', async () => {
  const ctx = await phone(browser, server, north(office, 25));
  const page = await ctx.newPage();
  await uiLogin(page, server);
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 15000 });
  const day = todayIn();
  const count = async () => (await punchesOn(server, token, server.employee.username, day)).length;
  const start = await count();

  await ctx.setOffline(true);
  await page.locator('#btn-absen').click();
  await takeSelfie(page);
  await page.locator('#checkin-send').click();
  await page.locator('#result-box.queued').waitFor();
  const [item] = await queued(page);

  // Close the app; only an unrelated tab is left (CDP needs a page to talk to the worker).
  const blank = await ctx.newPage();
  await page.close();
  await ctx.setOffline(false);
  const cdp = await ctx.newCDPSession(blank);
  const registration = new Promise((resolve) => {
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
      const r = registrations.find((x) => x.scopeURL === server.url + '/' && !x.isDeleted);
      if (r) resolve(r);
    });
  });
  await cdp.send('ServiceWorker.enable');
  const reg = await registration;
  await cdp.send('ServiceWorker.dispatchSyncEvent', {
    origin: server.url, registrationId: reg.registrationId, tag: 'hadir-outbox', lastChance: false
  });
  const deadline = Date.now() + 20000;
  while ((await count()) === start && Date.now() < deadline) await new Promise((r) => setTimeout(r, 300));
  const items = await punchesOn(server, token, server.employee.username, day);
  assert.equal(items.length, start + 1);
  assert.ok(items.some((p) => Date.parse(p.captured_at) === Date.parse(item.captured_at)));
  await ctx.close();
});
