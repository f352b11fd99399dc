// The console's "Pemberitahuan" page (issue 25): an operator turns an alert kind off with its
// checkbox, saves, sees the confirmation, and finds the choice kept after a reload and in the
// API (the same store the app's toggles use). Screenshot: artifacts/admin-alerts.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, api, apiLogin, screenshot } from './harness.mjs';

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => { await browser?.close(); await server?.stop(); });

test('operator: chooses alert kinds on the console and the choice is kept', async () => {
  const who = server.logins.operator;
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'id-ID' });
  const page = await ctx.newPage();
  await page.goto(server.url + '/admin/login');
  await page.locator('#username').fill(who.username);
  await page.locator('#password').fill(who.password);
  await page.locator('#login-submit').click();
  await page.waitForLoadState('load');
  await page.getByRole('link', { name: 'Pemberitahuan' }).click();
  await page.locator('#alerts-form').waitFor();
  assert.equal(await page.locator('h1').innerText(), 'Pemberitahuan');
  // Never chosen: every kind is on; no browser subscribed yet, and where to turn it on.
  const review = page.getByLabel('Absen menunggu pemeriksaan terlalu lama');
  const relay = page.getByLabel('Penerus data kantor tidak terhubung');
  assert.equal(await review.isChecked(), true);
  assert.equal(await relay.isChecked(), true);
  await page.locator('#no-subscription').waitFor();

  await relay.uncheck();
  await page.getByRole('button', { name: 'Simpan pilihan' }).click();
  await page.locator('#flash .ok').waitFor();
  assert.match(await page.locator('#flash').innerText(), /jenis pemberitahuan aktif/);
  await screenshot(page, 'admin-alerts');

  await page.reload();
  await page.locator('#alerts-form').waitFor();
  assert.equal(await page.getByLabel('Penerus data kantor tidak terhubung').isChecked(), false);
  assert.equal(await page.getByLabel('Absen menunggu pemeriksaan terlalu lama').isChecked(), true);
  const token = await apiLogin(server, who);
  const prefs = await api(server, 'GET', '/api/v1/me/notification-prefs', { token });
  assert.equal(prefs.status, 200);
  const on = Object.fromEntries(prefs.body.kinds.map((k) => [k.kind, k.enabled]));
  assert.equal(on.relay_offline, false);
  assert.equal(on.review_waiting, true);
  await ctx.close();
});
