// Laporan kinerja harian (issue 22): a teacher checks out in the app, is offered "Isi laporan
// kinerja hari ini", files the day's activity; the head of SDN001 approves the week in the
// console; the teacher's app then shows it approved.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  api, startServer, launch, phone, uiLogin, takeSelfie, screenshot, apiLogin, officeLocation, north, todayIn,
  localMinutes, teachers
} from './harness.mjs';

let server, browser, office;
before(async () => {
  server = await startServer();
  browser = await launch();
  office = await officeLocation(server, await apiLogin(server));
});
after(async () => { await browser?.close(); await server?.stop(); });

const hhmm = (m) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

// Today a shift whose check-out ("pulang") is due ten minutes ago: a punch now is the day's
// on-time check-out, so the day counts as present and the result screen offers the report.
async function checkoutNow(adminToken, nip) {
  const now = localMinutes();
  if (now < 200 || now > 23 * 60) return false;
  const cal = await api(server, 'POST', '/api/v1/calendars', {
    token: adminToken,
    body: {
      name: `Pulang ${nip} ${Date.now()}`, kind: 'roster',
      weekly: { monday: null, tuesday: null, wednesday: null, thursday: null, friday: null, saturday: null, sunday: null },
      overrides: [],
      shifts: [{ code: 'P', name: 'Pulang', schedule: { checkpoints: [
        { name: 'masuk', kind: 'check_in', due: hhmm(now - 180), window_start: hhmm(now - 200), window_end: hhmm(now - 120) },
        { name: 'pulang', kind: 'check_out', due: hhmm(now - 10), window_start: hhmm(now - 30), window_end: hhmm(now + 50) }
      ], break_minutes: 0 } }]
    }
  });
  if (cal.status !== 201) throw new Error(`calendar: ${cal.status} ${JSON.stringify(cal.body)}`);
  const as = await api(server, 'POST', `/api/v1/calendars/${cal.body.id}/assign`, { token: adminToken, body: { nip } });
  if (as.status !== 200 && as.status !== 204) throw new Error(`assign: ${as.status} ${JSON.stringify(as.body)}`);
  const ro = await api(server, 'PUT', '/api/v1/roster', { token: adminToken, body: { entries: [{ nip, date: todayIn(), shift: 'P' }] } });
  if (ro.status !== 200) throw new Error(`roster: ${ro.status} ${JSON.stringify(ro.body)}`);
  return true;
}

test('a teacher files the day\'s report at check-out; the head approves it in the console', async (t) => {
  const admin = await apiLogin(server, server.logins['admin BKD']);
  const [who] = await teachers(server, admin, 'SDN001', 1);
  if (!(await checkoutNow(admin, who.username))) {
    t.skip('the shaped day would cross midnight: run between 03:20 and 23:00 WITA');
    return;
  }
  const ctx = await phone(browser, server, north(office, 30));
  const page = await ctx.newPage();
  page.on('dialog', (d) => d.accept());
  await uiLogin(page, server, who);
  await page.locator('#geo-status.inside').waitFor();
  await page.locator('#btn-absen').click();
  await takeSelfie(page);
  await page.locator('#checkin-send').click();
  await page.locator('#result-box.ok').waitFor();
  const offer = page.locator('#result-kinerja');
  await offer.waitFor({ state: 'visible' });
  assert.equal(await offer.textContent(), 'Isi laporan kinerja hari ini');
  await screenshot(page, 'kinerja-01-checkout');
  await offer.click();

  await page.locator('#screen-kinerja').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#kin-date').inputValue(), todayIn());
  const start = hhmm(Math.max(0, localMinutes() - 170));
  const end = hhmm(Math.max(1, localMinutes() - 50));
  // A refusal first: the end before the start is explained, nothing is stored.
  await page.locator('#kin-desc').fill('Mengoreksi ulangan harian matematika kelas 5');
  await page.locator('#kin-output').fill('lembar jawaban dinilai');
  await page.locator('#kin-volume').fill('28');
  await page.locator('#kin-unit').fill('lembar');
  await page.locator('#kin-start').fill(end);
  await page.locator('#kin-end').fill(start);
  await page.locator('#kin-submit').click();
  await page.locator('#kin-error:not([hidden])').waitFor();
  assert.match(await page.locator('#kin-error').textContent(), /Jam selesai kegiatan harus setelah jam mulai/);
  await page.locator('#kin-start').fill(start);
  await page.locator('#kin-end').fill(end);
  await page.locator('#kin-submit').click();
  const item = page.locator('[data-testid="activity"]');
  await item.waitFor();
  assert.match(await item.textContent(), /Menunggu validasi/);
  assert.match(await item.textContent(), /28 lembar lembar jawaban dinilai/);
  assert.match(await page.locator('#kin-total').textContent(), /^1 kegiatan, 2 jam/);
  await screenshot(page, 'kinerja-02-filed');

  // The head of SDN001 validates in the console: the whole week at once.
  const head = server.logins['kepala unit'];
  const desk = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'id-ID' });
  const console_ = await desk.newPage();
  await console_.goto(server.url + '/admin/login');
  await console_.locator('#username').fill(head.username);
  await console_.locator('#password').fill(head.password);
  await console_.locator('#login-submit').click();
  await console_.waitForLoadState('load');
  await console_.goto(server.url + '/admin/kinerja');
  const group = console_.locator(`[data-testid="kinerja-group"][data-employee="${who.username}"]`)
    .filter({ hasText: 'Mengoreksi ulangan harian matematika kelas 5' });
  await group.waitFor();
  assert.match(await group.textContent(), /Mengoreksi ulangan harian matematika kelas 5/);
  await screenshot(console_, 'kinerja-03-console');
  await group.locator('[data-testid="kinerja-approve-week"]').click();
  await console_.locator('[data-testid="kinerja-done"]').waitFor();
  assert.match(await console_.locator('[data-testid="kinerja-done"]').textContent(), /^[1-9]\d* kegiatan sudah divalidasi\.$/);
  await desk.close();

  // Back in the app: approved, no longer editable.
  await page.reload();
  await page.goto(server.url + '/#/kinerja');
  const approved = page.locator('[data-testid="activity"].state-approved');
  await approved.waitFor();
  assert.match(await approved.textContent(), /Disetujui/);
  assert.equal(await approved.locator('button').count(), 0);
  await screenshot(page, 'kinerja-04-approved');
  await ctx.close();
});

test('the app shows last month\'s TPP to the rupiah of the API, with its explanation', async () => {
  const who = server.employee;
  const token = await apiLogin(server, who);
  const d = new Date();
  const prev = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 15));
  const day = prev.toISOString().slice(0, 10);
  const r = await api(server, 'GET', `/api/v1/me/tpp?month=${day.slice(0, 7)}`, { token });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const ctx = await phone(browser, server, north(office, 30));
  const page = await ctx.newPage();
  await uiLogin(page, server, who);
  await page.goto(server.url + '/#/kinerja/' + day);
  await page.locator('#kin-tpp:not([hidden])').waitFor();
  const rp = 'Rp ' + String(r.body.amount).replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  assert.equal((await page.locator('#kin-tpp-amount').textContent()).replace(/\s/g, ' '), 'Dibayar ' + rp);
  assert.equal(await page.locator('#kin-tpp-explanation').textContent(), r.body.explanation);
  assert.equal(await page.locator('[data-testid="tpp-line"]').count(), r.body.lines.length);
  await screenshot(page, 'kinerja-05-tpp');
  await ctx.close();
});
