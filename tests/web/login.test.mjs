// Login with the NIP (formatted while typing), a kept session, logout, and the a11y smoke check.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, phone, screenshot, a11yProblems, apiLogin, officeLocation, north } from './harness.mjs';

let server, browser, position;
before(async () => {
  server = await startServer();
  browser = await launch();
  position = north(await officeLocation(server, await apiLogin(server)), 20);
});
after(async () => { await browser?.close(); await server?.stop(); });

test('login, kept session, logout', async () => {
  const ctx = await phone(browser, server, position);
  const page = await ctx.newPage();
  // Slow-3G budget: the whole first load (page, styles, scripts, icon) stays small.
  let bytes = 0;
  page.on('response', async (r) => { bytes += Number(r.headers()['content-length'] || 0); });
  await page.goto(server.url + '/');
  await page.locator('#screen-login').waitFor({ state: 'visible' });
  await page.waitForLoadState('networkidle');
  assert.ok(bytes > 0 && bytes < 120 * 1024, `first load transferred ${bytes} bytes`);

  // The NIP is grouped as it is typed.
  await page.locator('#login-nip').pressSequentially('198609262015051001');
  assert.equal(await page.locator('#login-nip').inputValue(), '19860926 201505 1 001');
  assert.deepEqual(await a11yProblems(page, ['#login-submit']), []);
  await screenshot(page, '01-login');

  // Wrong password: the server's Indonesian message, no session.
  await page.locator('#login-nip').fill(server.employee.username);
  await page.locator('#login-password').fill('salah-sandi');
  await page.locator('#login-submit').click();
  await page.locator('#login-error').waitFor({ state: 'visible' });
  assert.match(await page.locator('#login-error').textContent(), /\S/);
  assert.equal(await page.evaluate(() => localStorage.getItem('hadir.session')), null);

  await page.locator('#login-password').fill(server.employee.password);
  await page.locator('#login-submit').click();
  await page.locator('#screen-home').waitFor({ state: 'visible' });
  const nip = server.employee.username;
  const formatted = `${nip.slice(0, 8)} ${nip.slice(8, 14)} ${nip.slice(14, 15)} ${nip.slice(15)}`;
  assert.equal(await page.locator('#who-nip').textContent(), `NIP ${formatted}`);
  await page.locator('#geo-status.inside').waitFor();
  assert.deepEqual(await a11yProblems(page, ['#btn-absen', '#btn-special', '#logout', '.tabbar a[aria-current="page"]']), []);
  // The big button is on the first screen, above the tab bar, without scrolling.
  const button = await page.locator('#btn-absen').boundingBox();
  const tabbar = await page.locator('.tabbar').boundingBox();
  assert.ok(button.y + button.height <= tabbar.y, `Absen button at ${JSON.stringify(button)}`);
  await screenshot(page, '02-home');

  // Installable: Chromium's own check of the manifest, icons and service worker.
  await page.evaluate(() => navigator.serviceWorker.ready);
  const cdp = await ctx.newCDPSession(page);
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  // Playwright's contexts are incognito profiles, which Chromium never installs from.
  assert.deepEqual(installabilityErrors.filter((e) => e.errorId !== 'in-incognito'), []);
  const manifest = await cdp.send('Page.getAppManifest');
  assert.deepEqual(manifest.errors, []);

  // The session survives a reload (a closed and reopened app).
  await page.reload();
  await page.locator('#screen-home').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#screen-login').isHidden(), true);

  await page.locator('#logout').click();
  await page.locator('#screen-login').waitFor({ state: 'visible' });
  assert.equal(await page.evaluate(() => localStorage.getItem('hadir.session')), null);
  await ctx.close();
});

test('a session revoked on the server sends the app back to the login, once', async () => {
  const ctx = await phone(browser, server, position);
  const page = await ctx.newPage();
  await page.goto(server.url + '/');
  await page.locator('#login-nip').fill(server.employee.username);
  await page.locator('#login-password').fill(server.employee.password);
  await page.locator('#login-submit').click();
  await page.locator('#screen-home').waitFor({ state: 'visible' });
  // Log the token out behind the app's back, then use the app.
  const token = await page.evaluate(() => JSON.parse(localStorage.getItem('hadir.session')).token);
  const r = await fetch(server.url + '/api/v1/auth/logout', { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
  assert.equal(r.status, 204);
  let logouts = 0;
  page.on('request', (req) => { if (req.url().endsWith('/api/v1/auth/logout')) logouts++; });
  await page.reload();
  await page.locator('#screen-login').waitFor({ state: 'visible' });
  assert.match(await page.locator('#login-error').textContent(), /Sesi Anda berakhir/);
  await page.waitForTimeout(500);
  assert.ok(logouts <= 1, `logout was called ${logouts} times`);
  await ctx.close();
});
