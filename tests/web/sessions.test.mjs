// Apel (issue 21 point 3): on a session day the app's home screen shows the session
// ("Apel uji 07:20–07:40 WITA") and "Hadir apel" checks in with the phone's position (Playwright's
// geolocation inside the session's geofence); the server then lists the teacher as attended.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, startServer, launch, phone, uiLogin, screenshot, apiLogin, officeLocation, north, localMinutes, todayIn, a11yProblems } from './harness.mjs';

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => { await browser?.close(); await server?.stop(); });

const hhmm = (m) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

test('the app shows today\'s apel and "Hadir apel" checks in by position', async (t) => {
  const now = localMinutes();
  if (now < 10 || now > 24 * 60 - 11) {
    t.skip('the session window would cross midnight: run again after 00:10 WITA');
    return;
  }
  const admin = await apiLogin(server, server.logins['admin BKD']);
  const token = await apiLogin(server);
  const office = await officeLocation(server, token);
  const units = await api(server, 'GET', '/api/v1/units', { token });
  const unit = units.body.find((u) => (u.locations || []).length).code;
  const name = 'Apel uji';
  const made = await api(server, 'POST', '/api/v1/sessions', {
    token: admin,
    body: { kind: 'apel', name, date: todayIn(), start: hhmm(now - 10), end: hhmm(now + 10), unit_code: unit,
      lat: office.lat, lon: office.lon, radius_m: 100, qr: true }
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const id = made.body.id;

  const ctx = await phone(browser, server, north(office, 20));
  const page = await ctx.newPage();
  await uiLogin(page, server);
  const card = page.locator(`[data-testid="session-${id}"]`);
  await card.waitFor();
  assert.equal(await card.locator('.cp-name').textContent(), `${name} ${hhmm(now - 10)}–${hhmm(now + 10)} WITA`);
  assert.equal(await card.locator('.pill').textContent(), 'Belum hadir');
  await page.locator('#geo-status.inside').waitFor();
  assert.deepEqual(await a11yProblems(page, ['[data-testid="btn-session-here"]']), []);
  await screenshot(page, 'sessions-01-home');
  await page.locator(`[data-testid="session-${id}"] + li [data-testid="btn-session-here"]`).click();
  await page.locator('[data-testid="sessions-message"]', { hasText: `Hadir ${name} tercatat pukul` }).waitFor();
  await page.locator(`[data-testid="session-${id}"] .pill`, { hasText: 'Hadir (lokasi)' }).waitFor();
  await screenshot(page, 'sessions-02-done');

  const list = await api(server, 'GET', `/api/v1/sessions/${id}/attendance`, { token: admin });
  assert.equal(list.status, 200);
  const me = list.body.items.find((i) => i.login === server.employee.username);
  assert.equal(me.how, 'position');
  await ctx.close();
});

test('a kiosk device shows the session\'s QR at /kiosk?apel=… and its code checks in', async (t) => {
  const now = localMinutes();
  if (now < 10 || now > 24 * 60 - 11) {
    t.skip('the session window would cross midnight: run again after 00:10 WITA');
    return;
  }
  const admin = await apiLogin(server, server.logins['admin BKD']);
  const token = await apiLogin(server);
  const units = await api(server, 'GET', '/api/v1/units', { token });
  const unit = units.body.find((u) => (u.locations || []).length).code;
  const made = await api(server, 'POST', '/api/v1/sessions', {
    token: admin,
    body: { kind: 'upacara', name: 'Upacara layar', date: todayIn(), start: hhmm(now - 10), end: hhmm(now + 10), unit_code: unit, qr: true }
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const k = await api(server, 'POST', '/api/v1/kiosks', { token: admin, body: { name: 'Layar lapangan', unit_code: unit } });
  assert.equal(k.status, 201, JSON.stringify(k.body));

  const kctx = await browser.newContext({ viewport: { width: 1280, height: 720 }, locale: 'id-ID', timezoneId: 'Asia/Makassar' });
  const kiosk = await kctx.newPage();
  await kiosk.goto(`${server.url}/kiosk?apel=${made.body.id}`);
  await kiosk.locator('#kiosk-token').fill(k.body.token);
  await kiosk.locator('#kiosk-start').click();
  await kiosk.locator('#kiosk-qr svg').waitFor();
  assert.match(await kiosk.locator('#kiosk-unit').textContent(), /Upacara layar/);
  assert.match(await kiosk.locator('#kiosk-hint').textContent(), /Pindai QR apel/);
  assert.equal(await kiosk.locator('#kiosk-recent-box').isHidden(), true);
  await screenshot(kiosk, 'session-qr-kiosk');
  const code = await kiosk.locator('#kiosk-qr').getAttribute('data-code');
  assert.match(code, new RegExp(`^HS1\\.${made.body.id}\\.`));
  const r = await api(server, 'POST', `/api/v1/sessions/${made.body.id}/checkin`, { token, body: { code } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.how, 'qr');
  await kctx.close();
});
