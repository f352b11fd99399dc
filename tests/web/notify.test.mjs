// Notifications (issue 25) in the app: the consent toggle "Aktifkan pengingat presensi" on
// "Data saya". This machine has no browser vendor push service, so subscribing must fail with
// a clear Indonesian message and store nothing; permission refused says so too. The kinds the
// employee receives are checkboxes saved to the server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, phone, screenshot, api, apiLogin, uiLogin } from './harness.mjs';

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => { await browser?.close(); await server?.stop(); });

async function openDataSaya(ctx) {
  const page = await ctx.newPage();
  await uiLogin(page, server);
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.goto(server.url + '/#/data-saya');
  await page.locator('#notify-card').waitFor({ state: 'visible' });
  return page;
}

async function subscriptions() {
  const r = await api(server, 'GET', '/api/v1/me/push-subscriptions', { token: await apiLogin(server) });
  assert.equal(r.status, 200);
  return r.body;
}

test('permission refused: the toggle says how to allow it and stays off', async () => {
  const ctx = await phone(browser, server);
  const page = await openDataSaya(ctx);
  await page.getByTestId('notify-toggle').click();
  const err = page.getByTestId('notify-error');
  await err.waitFor({ state: 'visible' });
  assert.match(await err.textContent(), /Izin notifikasi ditolak/);
  assert.equal(await page.getByTestId('notify-toggle').isChecked(), false);
  assert.deepEqual((await subscriptions()).items, []);
  await ctx.close();
});

test('no push service reachable: a clear message, nothing stored; the kinds are saved', async () => {
  const ctx = await phone(browser, server);
  await ctx.grantPermissions(['notifications'], { origin: server.url });
  const page = await openDataSaya(ctx);
  // The server's VAPID key is served to the app.
  assert.equal(Buffer.from((await subscriptions()).public_key, 'base64url').length, 65);
  await page.getByTestId('notify-toggle').click();
  const err = page.getByTestId('notify-error');
  await err.waitFor({ state: 'visible' });
  assert.match(await err.textContent(), /Gagal mendaftar ke layanan notifikasi browser/);
  assert.equal(await page.getByTestId('notify-toggle').isChecked(), false);
  assert.deepEqual((await subscriptions()).items, []);
  await screenshot(page, 'notify-failed');

  // An employee's kinds: reminders and decisions, all on until chosen.
  const decision = page.getByTestId('notify-kind-decision');
  await decision.waitFor();
  assert.equal(await page.getByTestId('notify-kind-terminal_silent').count(), 0);
  assert.equal(await decision.isChecked(), true);
  await decision.uncheck();
  await page.locator('#notify-status', { hasText: 'disimpan' }).waitFor();
  const prefs = await api(server, 'GET', '/api/v1/me/notification-prefs', { token: await apiLogin(server) });
  const on = prefs.body.kinds.filter((k) => k.enabled).map((k) => k.kind);
  assert.deepEqual(on, ['reminder_open', 'reminder_close']);
  await ctx.close();
});
