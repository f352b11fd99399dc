// Check-in with the live (fake) camera: inside the geofence → green answer; outside → red
// answer with the way out, special attendance (dinas luar), which is then sent and accepted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  api, startServer, launch, phone, uiLogin, takeSelfie, screenshot, a11yProblems, apiLogin, officeLocation,
  north, punchesOn, todayIn, shapeToday, teachers
} from './harness.mjs';

let server, browser, office, token;
before(async () => {
  server = await startServer();
  browser = await launch();
  token = await apiLogin(server);
  office = await officeLocation(server, token);
});
after(async () => { await browser?.close(); await server?.stop(); });

// Each teacher gets a day shaped around the moment the test runs (a one-checkpoint shift on
// today's roster), so the colour of the answer is known in advance.
const CASES = [
  { what: 'on time', window: { due: 30, start: -30, end: 60 }, cls: 'ok', title: /^Absen berhasil$/, outcome: 'counted', text: /^Masuk — tepat waktu$/ },
  { what: 'late', window: { due: -12, start: -60, end: 30 }, cls: 'late', title: /^Terlambat 1[1-3] menit \(TL1\)$/, outcome: 'counted', text: /^Masuk — terlambat 1[1-3] menit \(TL1\)$/ },
  { what: 'not counted', window: { due: 150, start: 120, end: 180 }, cls: 'ignored', title: /^Tidak dihitung$/, outcome: 'not_counted', text: /^Tidak dihitung: di luar semua jendela presensi$/ }
];

test('inside the geofence: green on time, amber late with code and minutes, grey not counted with the reason; the home card lists the punch', async (t) => {
  const admin = await apiLogin(server, server.logins['admin BKD']);
  const people = await teachers(server, admin, 'SDN001', CASES.length);
  for (const [i, c] of CASES.entries()) {
    const who = people[i];
    if (!(await shapeToday(server, admin, who.username, c.window))) {
      t.skip('the shaped window would cross midnight: run again after 01:00 or before 21:00 WITA');
      return;
    }
    const ctx = await phone(browser, server, north(office, 30));
    const page = await ctx.newPage();
    await uiLogin(page, server, who);
    await page.locator('#geo-status.inside').waitFor();
    await page.locator('#btn-absen').click();
    await takeSelfie(page);
    await page.locator('#checkin-note').fill('Apel pagi');
    if (i === 0) {
      assert.deepEqual(await a11yProblems(page, ['#checkin-send', '#checkin-cancel']), []);
      await screenshot(page, '03-camera');
    }
    await page.locator('#checkin-send').click();

    await page.locator('#result-box.ok, #result-box.late, #result-box.ignored, #result-box.pending, #result-box.bad').waitFor();
    assert.equal(await page.locator('#result-box').getAttribute('class'), `result ${c.cls}`, c.what);
    assert.match(await page.locator('#result-title').textContent(), c.title, c.what);
    if (c.cls === 'ignored') assert.match(await page.locator('#result-message').textContent(), /di luar jendela presensi/);
    assert.match(await page.locator('#result-detail').textContent(), /\d\d:\d\d WITA/);
    assert.deepEqual(await a11yProblems(page, ['#result-done']), []);
    await screenshot(page, `04-result-${c.cls}`);

    // The home card lists today's punch with what became of it.
    await page.locator('#result-done').click();
    const item = page.locator('#today-punches li').first();
    await item.waitFor();
    assert.equal(await item.getAttribute('data-outcome'), c.outcome, c.what);
    assert.match(await item.locator('.cp-expl').textContent(), c.text, c.what);
    assert.match(await item.locator('.cp-name').textContent(), /^\d\d:\d\d WITA · Aplikasi$/);
    await screenshot(page, `04-home-${c.cls}`);

    const token = await apiLogin(server, who);
    const mobile = (await punchesOn(server, token, who.username, todayIn())).filter((p) => p.source === 'mobile');
    assert.equal(mobile.length, 1);
    assert.equal(mobile[0].note, 'Apel pagi');
    assert.ok(mobile[0].photo_url, 'the selfie was stored');
    assert.ok(mobile[0].distance_m < 100);
    await ctx.close();
  }
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
