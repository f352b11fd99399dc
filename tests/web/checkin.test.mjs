// Check-in with the live (fake) camera: inside the geofence → green answer; outside → red
// answer with the way out, special attendance (dinas luar), which is then sent and accepted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  api, startServer, launch, phone, uiLogin, takeSelfie, screenshot, a11yProblems, apiLogin, officeLocation,
  north, punchesOn, todayIn
} from './harness.mjs';

let server, browser, office, token;
before(async () => {
  server = await startServer();
  browser = await launch();
  token = await apiLogin(server);
  office = await officeLocation(server, token);
});
after(async () => { await browser?.close(); await server?.stop(); });

test('inside the geofence: green answer, one mobile punch with photo', async () => {
  const ctx = await phone(browser, server, north(office, 30));
  const page = await ctx.newPage();
  await uiLogin(page, server);
  await page.locator('#geo-status.inside').waitFor();
  await page.locator('#btn-absen').click();
  await takeSelfie(page);
  await page.locator('#checkin-note').fill('Apel pagi');
  assert.deepEqual(await a11yProblems(page, ['#checkin-send', '#checkin-cancel']), []);
  await screenshot(page, '03-camera');
  await page.locator('#checkin-send').click();

  // The answer's colour follows the verdict at the moment the test runs: green on time, amber
  // late or early with its code, grey outside every checkpoint window (e.g. a run at night).
  await page.locator('#result-box.ok, #result-box.late, #result-box.ignored').waitFor();
  const cls = await page.locator('#result-box').getAttribute('class');
  const title = await page.locator('#result-title').textContent();
  const punch = (await punchesOn(server, token, server.employee.username, todayIn())).at(-1);
  if (cls.includes('ok')) assert.equal(title, 'Absen berhasil');
  else if (cls.includes('late')) assert.match(title, /^(Terlambat \d+ menit|Pulang \d+ menit lebih awal|Tercatat) \((TL|PSW)\d\)$/);
  else assert.equal(title, 'Tercatat, tidak dihitung');
  assert.ok(punch, 'the punch is stored whatever its colour');
  assert.match(await page.locator('#result-message').textContent(), /Agus|\S/);
  assert.deepEqual(await a11yProblems(page, ['#result-done']), []);
  await screenshot(page, '04-result-ok');

  const items = await punchesOn(server, token, server.employee.username, todayIn());
  const mobile = items.filter((p) => p.source === 'mobile');
  assert.equal(mobile.length, 1);
  assert.equal(mobile[0].note, 'Apel pagi');
  assert.ok(mobile[0].photo_url, 'the selfie was stored');
  assert.ok(mobile[0].distance_m < 100);
  await ctx.close();
});

test('outside the geofence: red answer, then special attendance is accepted and sent for approval', async (t) => {
  const ctx = await phone(browser, server, north(office, 2000));
  const page = await ctx.newPage();
  await uiLogin(page, server);
  await page.locator('#geo-status.outside').waitFor();
  await page.locator('#btn-absen').click();
  await takeSelfie(page);
  await page.locator('#checkin-send').click();

  await page.locator('#result-box.bad').waitFor();
  assert.equal(await page.locator('#result-title').textContent(), 'Di luar area kantor');
  assert.match(await page.locator('#result-message').textContent(), /absen khusus/i);
  await page.locator('#result-special').waitFor({ state: 'visible' });
  assert.deepEqual(await a11yProblems(page, ['#result-special', '#result-done']), []);
  await screenshot(page, '05-result-outside');

  // The way out reuses the selfie and asks for the duty note.
  await page.locator('#result-special').click();
  await page.locator('#screen-checkin').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#cam-photo').isVisible(), true);
  await page.locator('#checkin-send').click();
  await page.locator('#checkin-error').waitFor({ state: 'visible' });
  await page.locator('#checkin-note').fill('Rapat koordinasi di kantor dinas, SPT 800/123');
  await page.locator('#checkin-send').click();
  await page.locator('#result-box.pending').waitFor();
  assert.equal(await page.locator('#result-title').textContent(), 'Absen khusus terkirim');
  await screenshot(page, '06-result-special');

  const items = await punchesOn(server, token, server.employee.username, todayIn());
  const special = items.filter((p) => p.source === 'special');
  assert.equal(special.length, 1);
  assert.equal(special[0].review, 'special_pending');

  // The head's approval is asked for with a request that names the punch (issue 7's API).
  const mine = await api(server, 'GET', '/api/v1/requests?mine=true', { token });
  if (mine.status === 404) return t.skip('GET /api/v1/requests is not on this server yet; the punch was checked');
  const requests = mine.body.items.filter((r) => r.punch_id === special[0].id);
  assert.equal(requests.length, 1, JSON.stringify(mine.body.items));
  assert.equal(requests[0].type, 'DINAS_LUAR');
  assert.equal(requests[0].state, 'submitted');
  assert.match(requests[0].reason, /SPT 800\/123/);
  await ctx.close();
});
