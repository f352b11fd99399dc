// One month of a school (issue 20), played by its people in the app and the console of a
// `hadir demo` (SD Negeri 001):
//  - today, four teachers check in on their phones: one on time, one late, one offline (kept in
//    the outbox, sent when the network returns), one away from the school (special attendance);
//  - for the previous month, one teacher files an objection and another a sick day in the app;
//  - the head of school accepts the objection with a corrected time in its console card, the
//    sick day, and the special attendance after seeing its selfie;
//  - the BKD admin locks the previous month once the objections are decided, and the recap
//    XLSX of each month (read with openpyxl) holds the figures the teachers' app shows.
//
// Where the past comes from (honestly): the phone only sends captures near the server's clock
// (older ones wait for review), so past days are the demo's own history — terminal punches the
// demo writes for every employee from the first day of the previous month to yesterday
// (`hadir-cli/src/demo_history.rs`), evaluated by the same day evaluator as live punches. Today's
// punches are real check-ins through the app; each teacher's day is shaped around the moment the
// test runs (a one-checkpoint shift on today's roster, set by the admin through the API) so
// "on time" and "late" are known in advance. The objection window of the previous month is
// extended by the admin (as an admin may) so the objection can be filed, and closed again
// before locking; both are audited API calls.
// Screenshots of every step: tests/web/artifacts/month/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  ARTIFACTS, api, apiLogin, launch, north, officeLocation, phone, shapeToday, startServer, takeSelfie, teachers,
  todayIn, uiLogin
} from './harness.mjs';

const SHOTS = path.join(ARTIFACTS, 'month');
let server, browser, office, admin, head, people;
let n = 0;
const shot = async (page, name) => {
  mkdirSync(SHOTS, { recursive: true });
  n += 1;
  await page.screenshot({ path: path.join(SHOTS, `${String(n).padStart(2, '0')}-${name}.png`), fullPage: true });
};

const today = todayIn();
const thisMonth = today.slice(0, 7);
const prevMonth = new Date(Date.UTC(Number(today.slice(0, 4)), Number(today.slice(5, 7)) - 2, 1)).toISOString().slice(0, 7);

before(async () => {
  server = await startServer();
  browser = await launch();
  admin = await apiLogin(server, server.logins['admin BKD']);
  head = server.logins['kepala unit'];
  office = await officeLocation(server, await apiLogin(server));
  people = await teachers(server, admin, 'SDN001', 8);
  assert.ok(people.length >= 6, 'the demo school has enough teachers');
});
after(async () => { await browser?.close(); await server?.stop(); });

async function teacherPhone(who, position = north(office, 25)) {
  const ctx = await phone(browser, server, position);
  const page = await ctx.newPage();
  await page.setViewportSize({ width: 360, height: 740 });
  await uiLogin(page, server, who);
  return { ctx, page };
}

async function desk(who) {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'id-ID', acceptDownloads: true });
  const page = await ctx.newPage();
  page.on('dialog', (d) => d.accept());
  await page.goto(server.url + '/admin/login');
  await page.locator('#username').fill(who.username);
  await page.locator('#password').fill(who.password);
  await page.locator('#login-submit').click();
  await page.waitForLoadState('load');
  return { ctx, page };
}

async function checkIn(page) {
  await page.locator('#btn-absen').click();
  await takeSelfie(page);
  await page.locator('#checkin-send').click();
}

async function daysOf(who, month) {
  const r = await api(server, 'GET', `/api/v1/me/days?month=${month}`, { token: await apiLogin(server, who) });
  assert.equal(r.status, 200);
  return r.body;
}

// The figures of the app's month summary, as the teacher reads them.
async function appFigures(who, month) {
  const { ctx, page } = await teacherPhone(who);
  await page.goto(`${server.url}/#/riwayat/${month}`);
  await page.locator('#summary:not([hidden]) dl').waitFor();
  await page.waitForLoadState('networkidle');
  const pairs = await page.locator('#summary dl').evaluate((dl) => {
    const out = {};
    const dts = dl.querySelectorAll('dt');
    for (const dt of dts) out[dt.textContent] = dt.nextElementSibling.textContent;
    return out;
  });
  await shot(page, `app-summary-${month}-${who.username.slice(-4)}`);
  await ctx.close();
  return pairs;
}

// One employee's row of a unit sheet of the recap XLSX, read with openpyxl: {header: value}.
function xlsxRow(file, sheetHint, nip) {
  const py = `
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1], data_only=True)
for ws in wb.worksheets:
    if sys.argv[2] not in ws.title:
        continue
    header = None
    for row in ws.iter_rows(values_only=True):
        if header is None:
            if row and row[0] == 'No' and 'NIP' in row:
                header = row
            continue
        if row[1] == sys.argv[3]:
            print(json.dumps({str(h): v for h, v in zip(header, row) if h is not None}, default=str))
            sys.exit(0)
print('null')
`;
  return JSON.parse(execFileSync('python3', ['-c', py, file, sheetHint, nip]).toString());
}

async function downloadXlsx(page, month) {
  await page.goto(server.url + `/admin/recap?month=${month}&unit=SDN001`);
  await page.locator('#recap-table').waitFor();
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#download-xlsx').click()]);
  const file = path.join(SHOTS, `rekap-${month}-SDN001.xlsx`);
  mkdirSync(SHOTS, { recursive: true });
  await download.saveAs(file);
  return file;
}

function assertSameFigures(app, row, who) {
  const days = (s) => Number(String(s).replace(/ hari$/, ''));
  assert.ok(row, `${who}: a row in the XLSX`);
  assert.equal(days(app['Hadir']), row['Hadir'], `${who}: Hadir`);
  assert.equal(days(app['Tanpa keterangan (TK)']), row['TK'], `${who}: TK`);
  assert.equal(days(app['Hari kerja']), row['Hari Kerja'], `${who}: hari kerja`);
  const pct = Math.round(Number(row['Potongan (%)']) * 100 * 100) / 100;
  assert.equal(app['Potongan TPP'], String(pct).replace('.', ',') + '%', `${who}: potongan %`);
  if (app['Potongan TPP (rupiah)'] !== undefined) {
    const rp = Number(app['Potongan TPP (rupiah)'].replace(/[^\d]/g, ''));
    assert.equal(rp, Math.round(Number(row['Potongan Diterapkan (Rp)'] || 0)), `${who}: potongan rupiah`);
  }
}

test('a month of SD Negeri 001 in the app and the console, down to the recap XLSX', async (t) => {
  const [onTime, late, offline, away, objector, sick] = people;

  // ---- today: four check-ins ------------------------------------------------------------
  for (const [who, window] of [[onTime, { due: 30, start: -30, end: 60 }], [late, { due: -12, start: -60, end: 30 }],
    [offline, { due: 30, start: -30, end: 60 }], [away, { due: 30, start: -30, end: 60 }]]) {
    if (!(await shapeToday(server, admin, who.username, window))) {
      t.skip('the shaped window would cross midnight: run again after 01:00 or before 21:00 WITA');
      return;
    }
  }
  {
    const { ctx, page } = await teacherPhone(onTime);
    await checkIn(page);
    await page.locator('#result-box.ok').waitFor();
    await shot(page, 'checkin-on-time');
    await ctx.close();
  }
  {
    const { ctx, page } = await teacherPhone(late);
    await checkIn(page);
    await page.locator('#result-box.late').waitFor();
    assert.match(await page.locator('#result-title').textContent(), /^Terlambat 1[1-3] menit \(TL1\)$/);
    await shot(page, 'checkin-late');
    await ctx.close();
  }
  {
    const { ctx, page } = await teacherPhone(offline);
    await page.evaluate(() => navigator.serviceWorker.ready);
    await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 15000 });
    await page.locator('#geo-status.inside').waitFor();
    await ctx.setOffline(true);
    await page.locator('#offline-banner').waitFor({ state: 'visible' });
    await checkIn(page);
    await page.locator('#result-box.queued').waitFor();
    await shot(page, 'checkin-offline-queued');
    await ctx.setOffline(false);
    await page.locator('#result-done').click();
    await page.locator('#outbox-banner').waitFor({ state: 'hidden', timeout: 30000 });
    await page.locator('#today-punches li[data-outcome="counted"]').waitFor({ timeout: 15000 });
    await shot(page, 'checkin-offline-sent');
    await ctx.close();
  }
  {
    const { ctx, page } = await teacherPhone(away, north(office, 2500));
    await page.locator('#geo-status.outside').waitFor();
    await checkIn(page);
    await page.locator('#result-box.bad').waitFor();
    await page.locator('#result-special').click();
    await page.locator('#checkin-note').fill('Lomba cerdas cermat di kantor kecamatan, SPT 421/77');
    await page.locator('#checkin-send').click();
    await page.locator('#result-box.pending').waitFor();
    await shot(page, 'checkin-special-away');
    await ctx.close();
  }

  // ---- the previous month: an objection and a sick day, filed in the app ------------------
  const deadline = await api(server, 'POST', '/api/v1/recap/deadline', {
    token: admin, body: { month: prevMonth, objection_until: new Date(Date.now() + 86400000 * 3).toISOString().slice(0, 10) }
  });
  assert.equal(deadline.status, 204, JSON.stringify(deadline.body));
  const prevObj = await daysOf(objector, prevMonth);
  const objDay = prevObj.days.find((d) => d.status === 'TK' || (d.status === 'HADIR' && d.checkpoints.some((c) => c.name === 'masuk' && c.code)));
  assert.ok(objDay, 'the objector has a day to object to in the demo history');
  {
    const { ctx, page } = await teacherPhone(objector);
    await page.goto(`${server.url}/#/hari/${objDay.date}`);
    await page.locator('#day-checkpoints li').first().waitFor();
    await shot(page, 'objection-day-before');
    await page.locator('#day-object').click();
    await page.locator('#req-claim-cp').selectOption('masuk');
    await page.locator('#req-claim-time').fill('07:20');
    await page.locator('#req-reason').fill('Saya hadir; mesin sidik jari di ruang guru mati pagi itu.');
    await shot(page, 'objection-form');
    await page.locator('#req-submit').click();
    await page.locator('#screen-requests').waitFor({ state: 'visible' });
    await page.locator('#request-list li .req-head').first().waitFor();
    await ctx.close();
  }
  const prevSick = await daysOf(sick, prevMonth);
  const sickDay = prevSick.days.find((d) => d.status === 'TK') || prevSick.days.find((d) => d.status === 'HADIR');
  {
    const { ctx, page } = await teacherPhone(sick);
    await page.goto(`${server.url}/#/pengajuan`);
    await page.locator('[data-new-request="SAKIT"]').click();
    await page.locator('#req-from').fill(sickDay.date);
    await page.locator('#req-to').fill(sickDay.date);
    await page.locator('#req-reason').fill('Demam, istirahat di rumah');
    await shot(page, 'sick-form');
    await page.locator('#req-submit').click();
    await page.locator('#screen-requests').waitFor({ state: 'visible' });
    await page.locator('#request-list li .req-head').first().waitFor();
    await ctx.close();
  }

  // ---- the head decides in the console -----------------------------------------------------
  const headToken = await apiLogin(server, head);
  const inbox = (await api(server, 'GET', '/api/v1/requests?inbox=true&limit=200', { token: headToken })).body.items;
  const find = (who, type) => inbox.find((r) => r.employee === who.username && r.type === type);
  const objection = find(objector, 'KEBERATAN');
  const sickReq = find(sick, 'SAKIT');
  const special = find(away, 'DINAS_LUAR');
  assert.ok(objection && sickReq && special, JSON.stringify(inbox.map((r) => [r.employee, r.type])));
  {
    const { ctx, page } = await desk(head);
    await page.goto(server.url + '/admin/inbox');
    const card = page.locator(`#request-${objection.id}`);
    await card.waitFor();
    await card.locator('[data-testid="objection-recorded"]').waitFor();
    assert.equal(await card.locator('[data-testid="fix-time"]').inputValue(), '07:20', 'prefilled from the objection');
    assert.equal(await card.locator('[data-testid="fix-checkpoint"]').inputValue(), 'masuk');
    await card.scrollIntoViewIfNeeded();
    await shot(page, 'head-objection-card');
    await card.locator('[data-testid="approve"]').click();
    await page.locator(`#request-${objection.id}[data-state="approved"]`).waitFor();

    const sickCard = page.locator(`#request-${sickReq.id}`);
    await sickCard.locator('[data-testid="approve"]').click();
    await page.locator(`#request-${sickReq.id}[data-state="approved"]`).waitFor();

    const specialCard = page.locator(`#request-${special.id}`);
    const photo = specialCard.locator('[data-testid="special-photo"]');
    await photo.scrollIntoViewIfNeeded();
    await page.waitForFunction((id) => {
      const img = document.querySelector(`#request-${id} [data-testid="special-photo"]`);
      return img && img.complete && img.naturalWidth > 0;
    }, special.id, { timeout: 15000 });
    await shot(page, 'head-special-with-photo');
    await specialCard.locator('[data-testid="approve"]').click();
    await page.locator(`#request-${special.id}[data-state="approved"]`).waitFor();
    await shot(page, 'head-decided');
    await ctx.close();
  }
  // The objected day now counts masuk at 07:20, as the objector's app shows.
  {
    const after = (await daysOf(objector, prevMonth)).days.find((d) => d.date === objDay.date);
    const masuk = after.checkpoints.find((c) => c.name === 'masuk');
    assert.equal(masuk.punch.time, '07:20', JSON.stringify(after));
    assert.equal(masuk.code, null);
    const { ctx, page } = await teacherPhone(objector);
    await page.goto(`${server.url}/#/hari/${objDay.date}`);
    await page.locator('#day-checkpoints li').first().waitFor();
    assert.match(await page.locator('#day-checkpoints').textContent(), /07:20 WITA · Tepat waktu/);
    await shot(page, 'objection-day-after');
    await ctx.close();
  }

  // ---- the admin closes the objection window and locks the month -----------------------------
  const closed = await api(server, 'POST', '/api/v1/recap/deadline', { token: admin, body: { month: prevMonth, objection_until: `${thisMonth}-01` } });
  assert.equal(closed.status, 204, JSON.stringify(closed.body));
  const { ctx, page } = await desk(server.logins['admin BKD']);
  await page.goto(server.url + `/admin/recap?month=${prevMonth}&unit=SDN001`);
  await page.locator('#lock-month').click();
  await page.locator('#flash .ok').waitFor({ timeout: 60000 });
  await page.reload();
  assert.equal(await page.locator('#recap-state').innerText(), 'Terkunci');
  await shot(page, 'admin-locked');

  // ---- the recap XLSX holds the app's figures ------------------------------------------------
  const prevFile = await downloadXlsx(page, prevMonth);
  for (const who of [objector, sick]) {
    assertSameFigures(await appFigures(who, prevMonth), xlsxRow(prevFile, 'SDN001', who.username), who.name);
  }
  const sickAfter = (await daysOf(sick, prevMonth)).days.find((d) => d.date === sickDay.date);
  assert.equal(sickAfter.status, 'SAKIT');
  const nowFile = await downloadXlsx(page, thisMonth);
  for (const who of [onTime, late, offline, away]) {
    assertSameFigures(await appFigures(who, thisMonth), xlsxRow(nowFile, 'SDN001', who.username), who.name);
  }
  const codes = (await daysOf(late, thisMonth)).days.find((d) => d.date === today).checkpoints.map((c) => c.code);
  assert.deepEqual(codes, ['TL1']);
  assert.equal(xlsxRow(nowFile, 'SDN001', late.username)['TL1'] >= 1, true);
  const awayToday = (await daysOf(away, thisMonth)).days.find((d) => d.date === today);
  assert.equal(awayToday.status, 'HADIR', 'the approved special attendance counts as presence');
  writeFileSync(path.join(SHOTS, 'teachers.json'), JSON.stringify({ onTime, late, offline, away, objector, sick, objDay: objDay.date, sickDay: sickDay.date }, null, 2));
  await ctx.close();
});
