// The console's "Wajah acuan" (issue 23): the head of SDN001 uploads a photo of a teacher
// (tests/fixtures/face/same_a.jpg, one face) on the teacher's page, reads the status (from an
// uploaded photo, by whom, when, with the zone), removes it; a photo with two faces is refused
// with an Indonesian sentence; their own page says why it cannot be set there; no English
// UI words. Screenshots: artifacts/admin-face-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, launch, api, apiLogin, screenshot, words, hits } from './harness.mjs';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../crates/hadir-server/tests/fixtures/face');

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => { await browser?.close(); await server?.stop(); });

test('head: uploads a reference face for a teacher, sees its status with the zone, removes it', async () => {
  const head = server.logins['kepala unit'];
  const teacher = server.employee.username;
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'id-ID' });
  const page = await ctx.newPage();
  page.on('dialog', (d) => d.accept());
  await page.goto(server.url + '/admin/login');
  await page.locator('#username').fill(head.username);
  await page.locator('#password').fill(head.password);
  await page.locator('#login-submit').click();
  await page.waitForLoadState('load');

  await page.goto(`${server.url}/admin/employees/${teacher}`);
  const section = page.locator('#face-section');
  await section.waitFor();
  assert.equal(await page.locator('#face-status').innerText(), 'Belum ada wajah acuan.');
  assert.equal(await page.locator('#face-remove').count(), 0);

  // Two faces: refused, with a sentence a clerk understands, nothing stored.
  await page.locator('#face-photo').setInputFiles(path.join(fixtures, 'face_two.jpg'));
  await page.locator('#face-send').click();
  await page.locator('#flash .error').waitFor();
  assert.match(await page.locator('#flash').innerText(), /Foto ini memuat 2 wajah/);
  assert.equal(await page.locator('#face-status').innerText(), 'Belum ada wajah acuan.');

  // One face: stored; the status says from what, by whom and when (with WIB/WITA/WIT).
  await page.locator('#face-photo').setInputFiles(path.join(fixtures, 'same_a.jpg'));
  await page.locator('#face-send').click();
  await page.locator('#face-done').waitFor();
  assert.equal(await page.locator('#flash .error').count(), 0, 'the earlier refusal is cleared');
  const status = await page.locator('#face-status').innerText();
  assert.match(status, new RegExp(`^Terdaftar dari foto unggahan oleh .*\\(${head.username}\\) pada \\d\\d-\\d\\d-\\d{4} \\d\\d:\\d\\d (WIB|WITA|WIT)\\.$`), status);
  await page.locator('#face-remove').waitFor();
  await screenshot(page, 'admin-face-enrolled');
  assert.deepEqual(hits(await words(page)), []);
  const token = await apiLogin(server, head);
  const seen = await api(server, 'GET', `/api/v1/employees/${teacher}/reference-face`, { token });
  assert.equal(seen.status, 200);
  assert.equal(seen.body.has_reference, true);
  assert.equal(seen.body.source, 'upload');

  // Removed (after the confirmation).
  await page.locator('#face-remove').click();
  await page.locator('#face-done').filter({ hasText: 'Wajah acuan dihapus.' }).waitFor();
  assert.equal(await page.locator('#face-status').innerText(), 'Belum ada wajah acuan.');
  const gone = await api(server, 'GET', `/api/v1/employees/${teacher}/reference-face`, { token });
  assert.equal(gone.body.has_reference, false);

  // Their own page: the reason, no form.
  await page.goto(`${server.url}/admin/employees/${head.username}`);
  await page.locator('#face-own').waitFor();
  assert.match(await page.locator('#face-own').innerText(), /wajah acuan Anda sendiri/);
  assert.equal(await page.locator('#face-upload').count(), 0);
  await screenshot(page, 'admin-face-own');
  assert.deepEqual(hits(await words(page)), []);
  await ctx.close();
});
