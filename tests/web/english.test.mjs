// No English a teacher reads (issue 20): the rendered app pages (login, home with a punch,
// check-in and its answer, history, a day, requests (one filed) and their form, "Data saya")
// are scanned for a short list of English UI words, in the visible text and in the labels a
// screen reader or a tooltip shows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, startServer, launch, phone, uiLogin, takeSelfie, screenshot, apiLogin, officeLocation, north, todayIn, words, hits } from './harness.mjs';

let server, browser, office, token;
before(async () => {
  server = await startServer();
  browser = await launch();
  token = await apiLogin(server);
  office = await officeLocation(server, token);
});
after(async () => { await browser?.close(); await server?.stop(); });

test('the app pages hold none of the known English UI words', async () => {
  const ctx = await phone(browser, server, north(office, 20));
  const page = await ctx.newPage();
  const seen = {};
  await page.goto(server.url + '/');
  await page.locator('#login-nip').waitFor();
  seen.login = hits(await words(page));
  await uiLogin(page, server);
  await page.locator('#today-title').filter({ hasText: /Hari ini —/ }).waitFor();
  seen.home = hits(await words(page));
  await page.locator('#btn-absen').click();
  await takeSelfie(page);
  seen.checkin = hits(await words(page));
  await page.locator('#checkin-send').click();
  await page.locator('#result-box.ok, #result-box.late, #result-box.ignored').waitFor();
  seen.result = hits(await words(page));
  await page.locator('#result-done').click();
  await page.locator('#today-punches li').first().waitFor();
  seen['home with a punch'] = hits(await words(page));
  // A request in the list, with its state.
  const filed = await api(server, 'POST', '/api/v1/requests', { token, body: { type: 'IZIN', date_from: todayIn(), reason: 'Mengantar anak ke puskesmas' } });
  assert.equal(filed.status, 201, JSON.stringify(filed.body));
  const pages = [
    ['history', '#/riwayat', '#day-list li'],
    ['day', `#/hari/${todayIn()}`, '#day-checkpoints li, #day-explanation:not(:empty)'],
    ['requests', '#/pengajuan', '#request-list li .req-head'],
    ['request form', '#/pengajuan/baru/CUTI_TAHUNAN', '#req-reason'],
    ['objection form', `#/pengajuan/baru/KEBERATAN/${todayIn()}`, '#req-reason'],
    ['data saya', '#/data-saya', '#screen-privacy h2']
  ];
  for (const [name, hash, ready] of pages) {
    await page.goto(server.url + '/' + hash);
    await page.locator(ready).first().waitFor();
    await page.waitForLoadState('networkidle');
    seen[name] = hits(await words(page));
    await screenshot(page, `20-english-${name.replace(/ /g, '-')}`);
  }
  const problems = Object.entries(seen).filter(([, h]) => h.length).map(([k, h]) => `${k}: ${h.join(' | ')}`);
  assert.deepEqual(problems, []);
  await ctx.close();
});

test('the scan finds an English word when there is one', async () => {
  assert.deepEqual(hits('Absen berhasil').length, 0);
  assert.equal(hits('Status: pending').length, 1);
  assert.equal(hits('on_time').length, 1);
  assert.equal(hits('Terlambat (TL1)').length, 0, 'TL1 is a code, "Terlambat" is not "late"');
});
