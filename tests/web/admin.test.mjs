// Browser tests of the console at /admin (issue 10) against `hadir demo`: an operator sees only
// their subtree on the board, approves a request and sees the day record change, registers a
// terminal that called in, syncs its employees and downloads an XLSX recap; an admin approves a
// pending terminal with its approve button and locks a month.
// Screenshots of each main screen at 1366×768 go to tests/web/artifacts/admin-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, launch, api, apiLogin, screenshot, officeLocation, todayIn, punchesOn } from './harness.mjs';

let server, browser;

before(async () => {
  server = await startServer();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function desk(who, extra = {}) {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'id-ID', acceptDownloads: true, ...extra });
  const page = await ctx.newPage();
  page.on('dialog', (d) => d.accept()); // hx-confirm
  await page.goto(server.url + '/admin/login');
  await page.locator('#username').fill(who.username);
  await page.locator('#password').fill(who.password);
  await page.locator('#login-submit').click();
  await page.waitForLoadState('load');
  return { ctx, page };
}

const admin = () => server.logins['admin BKD'];
const operator = () => server.logins.operator;

// The month before the current one (its objection window, to the 5th, is over by the 6th).
function previousMonth() {
  const d = new Date();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() - 1);
  return d.toISOString().slice(0, 7);
}

test('an employee without a staff role is refused with an Indonesian page', async () => {
  const { ctx, page } = await desk(server.employee);
  await page.locator('#not-staff').waitFor();
  assert.match(await page.locator('#not-staff').innerText(), /tidak memiliki peran/);
  const r = await page.goto(server.url + '/admin');
  assert.equal(page.url(), server.url + '/admin/login', 'no console session was kept');
  assert.equal(r.status(), 200);
  await ctx.close();
});

test('operator: the board shows only their subtree, with drill-down and chart', async () => {
  const { ctx, page } = await desk(operator());
  await page.locator('#board-table').waitFor();
  const units = await page.locator('#board-table tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.unit));
  assert.ok(units.includes('DISDIK') && units.includes('SDN001'), `operator of DISDIK sees its schools: ${units}`);
  // The demo's other branches (e.g. the hospital, the liaison offices) are not in DISDIK's subtree.
  const token = await apiLogin(server, admin());
  const all = (await api(server, 'GET', '/api/v1/units', { token })).body.map((u) => u.code);
  const outside = all.filter((c) => !units.includes(c) && c !== 'DISDIK' && !c.startsWith('SD') && !c.startsWith('SMP'));
  assert.ok(outside.length > 5, 'the regency has units outside DISDIK');
  for (const c of outside) assert.ok(!units.includes(c), `${c} is outside the operator's scope`);
  assert.equal(await page.locator('#rate-chart svg').count(), 1);
  assert.match(await page.locator('#who-roles').innerText(), /Operator DISDIK/);
  await screenshot(page, 'admin-board');
  // Drill down to the people of SDN001.
  await page.locator('#board-table tr[data-unit="SDN001"] td.unit a').click();
  await page.locator('#people-table').waitFor();
  assert.ok(await page.locator('#people-table tbody tr').count() > 1);
  // Out of scope through the console too: a unit outside DISDIK is "not found".
  const res = await page.request.get(server.url + `/admin/board/unit/${outside[0]}`);
  assert.equal(res.status(), 404);
  await ctx.close();
});

test('admin: approves a pending terminal with its approve button', async () => {
  const sn = 'KONSOL0002';
  const hs = await fetch(server.url + `/iclock/cdata?SN=${sn}&options=all`);
  assert.equal(hs.status, 200);
  const { ctx, page } = await desk(admin());
  await page.goto(server.url + '/admin/terminals');
  const row = page.locator(`#terminals-table tr[data-sn="${sn}"]`);
  assert.equal(await row.getAttribute('data-state'), 'pending');
  await screenshot(page, 'admin-terminals-pending');
  await row.locator(`#approve-unit-${sn}`).selectOption('SDN002');
  await row.locator('button.approve').click();
  await page.locator('#flash .ok').waitFor();
  assert.match(await page.locator('#flash').innerText(), new RegExp(`${sn} disetujui`));
  await page.reload();
  assert.equal(await page.locator(`#terminals-table tr[data-sn="${sn}"]`).getAttribute('data-state'), 'active');
  await ctx.close();
});

test('admin registers a terminal that called in; the operator syncs its employees (queued commands)', async () => {
  const sn = 'KONSOL0001';
  // The terminal calls in (real PUSH handshake): unknown serial, stored as pending.
  const hs = await fetch(server.url + `/iclock/cdata?SN=${sn}&options=all`);
  assert.equal(hs.status, 200);
  // Registering a terminal is the BKD's decision (issue 16).
  const a = await desk(admin());
  await a.page.goto(server.url + '/admin/terminals');
  await a.page.locator('#reg-sn').fill(sn);
  await a.page.locator('#reg-unit').selectOption('SDN001');
  await a.page.locator('#register-form button').click();
  await a.page.locator('#flash .ok').waitFor();
  assert.match(await a.page.locator('#flash').innerText(), new RegExp(`${sn} terdaftar`));
  await a.ctx.close();
  const { ctx, page } = await desk(operator());
  await page.goto(server.url + '/admin/terminals');
  await page.reload();
  const row = page.locator(`#terminals-table tr[data-sn="${sn}"]`);
  assert.equal(await row.getAttribute('data-state'), 'active');
  assert.match(await row.innerText(), /127\.0\.0\.1/);
  await screenshot(page, 'admin-terminals');
  await row.locator('button.sync').click();
  await page.locator('#sync-result').waitFor();
  assert.match(await page.locator('#sync-result').innerText(), /perintah diantrikan/);
  const queued = await page.locator('#commands-table tr[data-state="queued"]').count();
  assert.ok(queued > 5, `SDN001's employees queued for the terminal: ${queued}`);
  assert.match(await page.locator('#commands-table').innerText(), /DATA UPDATE USERINFO PIN=/);
  await screenshot(page, 'admin-terminal-sync');
  // What the terminal gets on its next poll is what the console showed.
  const poll = await (await fetch(server.url + `/iclock/getrequest?SN=${sn}`)).text();
  assert.match(poll, /^C:\d+:DATA UPDATE USERINFO/m);
  await ctx.close();
});

test('operator: approves a request in the inbox and the day record changes', async () => {
  const empToken = await apiLogin(server, server.employee);
  // The first day from today that is a working day of the employee.
  let day;
  for (const m of [0, 1]) {
    const d = new Date();
    d.setUTCDate(1);
    d.setUTCMonth(d.getUTCMonth() + m);
    const r = await api(server, 'GET', `/api/v1/me/days?month=${d.toISOString().slice(0, 7)}`, { token: empToken });
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Makassar' }).format(new Date());
    day = r.body.days.find((x) => x.date >= today && x.status !== 'LIBUR');
    if (day) break;
  }
  assert.ok(day, 'a working day ahead');
  const created = await api(server, 'POST', '/api/v1/requests', {
    token: empToken, body: { type: 'IZIN', date_from: day.date, date_to: day.date, reason: 'Mengantar orang tua berobat' }
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id;
  const { ctx, page } = await desk(operator());
  await page.goto(server.url + '/admin/inbox');
  const card = page.locator(`#request-${id}`);
  await card.waitFor();
  assert.equal(await card.getAttribute('data-state'), 'submitted');
  assert.notEqual(await card.locator('.day').first().getAttribute('data-code'), 'IZIN');
  await screenshot(page, 'admin-inbox');
  // Rejecting without a reason shows the API's Indonesian message in the page.
  await card.locator('button.reject').click();
  await page.locator('#flash .error').waitFor();
  assert.match(await page.locator('#flash').innerText(), /alasan penolakan/);
  await card.locator(`#comment-${id}`).fill('Disetujui, semoga lekas sembuh');
  await card.locator('button.approve').click();
  await page.locator(`#request-${id}[data-state="approved"]`).waitFor();
  assert.equal(await page.locator(`#request-${id} .day`).first().getAttribute('data-code'), 'IZIN');
  // The employee's own day record says the same.
  const month = day.date.slice(0, 7);
  const days = await api(server, 'GET', `/api/v1/me/days?month=${month}`, { token: empToken });
  assert.equal(days.body.days.find((x) => x.date === day.date).status, 'IZIN');
  await ctx.close();
});

test('operator: downloads the XLSX recap of their unit', async () => {
  const { ctx, page } = await desk(operator());
  await page.goto(server.url + `/admin/recap?month=${previousMonth()}&unit=DISDIK`);
  await page.locator('#recap-table').waitFor();
  assert.equal(await page.locator('#lock-month').count(), 0, 'operators cannot lock');
  await screenshot(page, 'admin-recap');
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#download-xlsx').click()]);
  assert.match(download.suggestedFilename(), /^rekap-\d{4}-\d{2}-DISDIK\.xlsx$/);
  const bytes = readFileSync(await download.path());
  assert.equal(bytes.subarray(0, 2).toString(), 'PK', 'an XLSX (zip) file');
  assert.ok(bytes.length > 5000);
  // Locking is refused server-side too.
  const r = await page.request.post(server.url + '/admin/recap/lock', { form: { month: previousMonth(), unit: 'DISDIK' } });
  assert.equal(r.status(), 403);
  await ctx.close();
});

test('admin: locks a month; other screens render', async () => {
  const { ctx, page } = await desk(admin());
  await page.goto(server.url + `/admin/recap?month=${previousMonth()}&unit=DISDIK`);
  assert.notEqual(await page.locator('#recap-state').innerText(), 'Terkunci');
  await page.locator('#lock-month').click();
  await page.locator('#flash .ok').waitFor({ timeout: 60000 });
  assert.match(await page.locator('#flash').innerText(), /dikunci/);
  await page.reload();
  assert.equal(await page.locator('#recap-state').innerText(), 'Terkunci');
  assert.equal(await page.locator('#reopen-month').count(), 1);
  await screenshot(page, 'admin-recap-locked');
  // An audited reopen, with its reason.
  await page.locator('#reopen-reason').fill('Keberatan SDN001 diterima setelah penguncian');
  await page.locator('#reopen-month').click();
  await page.locator('#flash .ok').waitFor({ timeout: 60000 });
  await page.reload();
  assert.notEqual(await page.locator('#recap-state').innerText(), 'Terkunci');
  assert.equal(await page.locator('#lock-month').count(), 1);
  const token = await apiLogin(server, admin());
  const audit = await api(server, 'GET', '/api/v1/audit?entity=recap', { token });
  assert.ok(JSON.stringify(audit.body).includes('Keberatan SDN001 diterima'), JSON.stringify(audit.body).slice(0, 500));
  for (const [path, sel, name] of [
    ['/admin/employees?unit=SDN001', '#employees-table', 'admin-employees'],
    ['/admin/units', '#units-table', 'admin-units'],
    ['/admin/policies', '#rules-table', 'admin-policies'],
    ['/admin/audit', '#audit-table', 'admin-audit']
  ]) {
    await page.goto(server.url + path);
    await page.locator(sel).waitFor();
    await screenshot(page, name);
  }
  assert.match(await page.locator('#audit-table').innerText(), /mengunci rekap bulanan/);
  await page.goto(server.url + '/admin');
  await page.locator('#board-table').waitFor();
  await screenshot(page, 'admin-board-bkd');
  await ctx.close();
});

test('admin: creates a unit under a parent and edits its location (sketch to scale, no tiles)', async () => {
  const { ctx, page } = await desk(admin());
  await page.goto(server.url + '/admin/units');
  await page.locator('#nu-code').fill('UPTKONSOL');
  await page.locator('#nu-name').fill('UPT Konsol');
  await page.locator('#nu-parent').selectOption('DISDIK');
  await page.locator('#nu-tz').selectOption('Asia/Makassar');
  await page.locator('#nu-loc').fill('Kantor UPT');
  await page.locator('#nu-lat').fill('-0.4987');
  await page.locator('#nu-lon').fill('117.1436');
  await page.locator('#new-unit button:not(.use-my-location)').click();
  await page.locator('#flash .ok').waitFor();
  assert.match(await page.locator('#flash').innerText(), /UPT Konsol \(UPTKONSOL\) dibuat di bawah DISDIK/);
  await page.reload();
  const row = page.locator('#units-table tr[data-unit="UPTKONSOL"]');
  assert.match(await row.innerText(), /-0\.498700, 117\.143600 · radius 100 m/);
  assert.equal(await row.locator('svg.map circle').count(), 2, 'one geofence circle and its centre');
  // Change the radius; a bad one shows the API's message.
  await row.locator('.location summary').click();
  const radius = row.locator('input[name="radius_m"]').first();
  await radius.fill('5');
  await row.locator('button.save-location').click();
  await page.locator('#flash .error').waitFor();
  assert.match(await page.locator('#flash').innerText(), /antara 10 dan 10\.000 meter/);
  await radius.fill('250');
  await row.locator('button.save-location').click();
  await page.locator('#loc-UPTKONSOL .location', { hasText: 'radius 250 m' }).waitFor();
  // A second location.
  await row.locator('.add-location summary').click();
  await row.locator('#nn-UPTKONSOL').fill('Gedung B');
  await row.locator('#na-UPTKONSOL').fill('-0.5012');
  await row.locator('#no-UPTKONSOL').fill('117.1461');
  await row.locator('.add-location button:not(.use-my-location)').click();
  await page.locator('#loc-UPTKONSOL .location', { hasText: 'Gedung B' }).waitFor();
  assert.equal(await page.locator('#loc-UPTKONSOL svg.map circle').count(), 4);
  assert.equal(await page.locator('#units-table a[href^="http"]').count(), 0, 'no external map links');
  await page.locator('#units-table tr[data-unit="UPTKONSOL"]').scrollIntoViewIfNeeded();
  await screenshot(page, 'admin-units-edit');
  const token = await apiLogin(server, admin());
  const u = (await api(server, 'GET', '/api/v1/units/UPTKONSOL', { token })).body;
  assert.deepEqual(u.locations.map((l) => [l.name, l.radius_m]), [['Kantor UPT', 250], ['Gedung B', 100]]);
  await ctx.close();
});

test('admin: "Pakai lokasi saya" fills a location form from the browser (issue 20)', async () => {
  const { ctx, page } = await desk(admin(), {
    geolocation: { latitude: -0.5021134, longitude: 117.1534567, accuracy: 12 },
    permissions: ['geolocation'],
  });
  await page.goto(server.url + '/admin/units');
  const form = page.locator('#new-unit');
  await form.locator('button.use-my-location').click();
  await form.locator('.geo-status', { hasText: 'akurasi 12 m' }).waitFor();
  assert.equal(await page.locator('#nu-lat').inputValue(), '-0.502113');
  assert.equal(await page.locator('#nu-lon').inputValue(), '117.153457');
  // No tile URL is configured here: the offline sketch only, no map library loaded.
  assert.equal(await page.locator('.live-map').count(), 0);
  assert.equal(await page.evaluate(() => typeof window.L), 'undefined');
  await ctx.close();
});

test('admin: edits a calendar, assigns it to a unit, adds a rule set version', async () => {
  const { ctx, page } = await desk(admin());
  await page.goto(server.url + '/admin/policies');
  // The default calendar (the demo also has a 6-day school calendar with its own hours).
  await page.locator('#calendars-table tbody tr', { hasText: '(bawaan)' }).locator('a').click();
  await page.locator('#week-table').waitFor();
  const fri = page.locator('#week-table tr[data-day="fri"]');
  // A due time outside its window: the API's message in the error box.
  await fri.locator('input[name="fri_out_due"]').fill('19:00');
  await page.locator('#save-calendar').click();
  await page.locator('#flash .error').waitFor();
  assert.match(await page.locator('#flash').innerText(), /Jadwal tidak valid/);
  await fri.locator('input[name="fri_out_due"]').fill('16:30');
  await fri.locator('input[name="fri_break"]').fill('90');
  await page.locator('#save-calendar').click();
  await page.locator('#flash .ok').waitFor();
  assert.match(await page.locator('#flash').innerText(), /disimpan/);
  await screenshot(page, 'admin-calendar-edit');
  await page.locator('#copy-name').fill('Kalender Puskesmas');
  await page.locator('#copy-calendar button').click();
  await page.locator('#flash .ok', { hasText: 'Kalender Puskesmas dibuat' }).waitFor();
  await page.goto(server.url + '/admin/policies');
  await page.locator('#as-cal').selectOption({ label: 'Kalender Puskesmas' });
  await page.locator('#as-unit').selectOption('SDN002');
  await page.locator('#assign-form button').click();
  await page.locator('#flash .ok').waitFor();
  await page.reload();
  assert.match(await page.locator('#calendars-table tr', { hasText: 'Kalender Puskesmas' }).innerText(), /SDN002/);
  // Rule set: a new version with 5 minutes' grace and TL1 at 1%.
  await page.locator('#rules-table a.new-version').first().click();
  await page.locator('#rules-form').waitFor();
  await page.locator('#r-name').fill('Perbup uji konsol');
  await page.locator('#r-grace').fill('5');
  await page.locator('#late-0-pct').fill('1');
  await screenshot(page, 'admin-rules-edit');
  await page.locator('#save-rules').click();
  await page.locator('#flash .ok').waitFor();
  assert.match(await page.locator('#flash').innerText(), /Perbup uji konsol berlaku mulai/);
  const token = await apiLogin(server, admin());
  const rules = (await api(server, 'GET', '/api/v1/rule-sets', { token })).body;
  const r = rules.find((x) => x.name === 'Perbup uji konsol');
  assert.equal(r.rules.grace_minutes, 5);
  assert.equal(r.rules.late[0].percent, 1);
  await ctx.close();
});

// Evidence as a real JPEG: a screenshot of a page from the same browser, numbered so no two
// share their bytes (the server refuses a selfie whose bytes a stored punch already has).
let shots = 0;
async function jpegBytes() {
  const ctx = await browser.newContext({ viewport: { width: 320, height: 240 } });
  const p = await ctx.newPage();
  await p.setContent(`<body style="background:#e8f0e8;font:32px sans-serif">Surat dokter ${++shots}</body>`);
  const bytes = await p.screenshot({ type: 'jpeg', quality: 70 });
  await ctx.close();
  return bytes;
}

test('operator: inbox evidence viewer (photo), unmatched terminal PIN assigned, punches needing review', async () => {
  const empToken = await apiLogin(server, server.employee);
  const me = (await api(server, 'GET', '/api/v1/me', { token: empToken })).body;
  const today = todayIn();
  // A two-day sick leave needs a doctor's letter: filed with a photo of it.
  const d = new Date(today + 'T00:00:00Z');
  d.setUTCDate(d.getUTCDate() - 14);
  const from = d.toISOString().slice(0, 10);
  d.setUTCDate(d.getUTCDate() + 1);
  const to = d.toISOString().slice(0, 10);
  const created = await api(server, 'POST', '/api/v1/requests', {
    token: empToken, body: { type: 'SAKIT', date_from: from, date_to: to, reason: 'Demam berdarah' }
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id;
  const fd = new FormData();
  fd.append('file', new Blob([await jpegBytes()], { type: 'image/jpeg' }), 'surat-dokter.jpg');
  const up = await fetch(server.url + `/api/v1/requests/${id}/attachments`, { method: 'POST', headers: { Authorization: `Bearer ${empToken}` }, body: fd });
  assert.equal(up.status, 201, await up.text());

  // An active terminal of SDN001 sends a punch of a PIN nobody has.
  const terminalAt = new Date(Date.now() - 5 * 60000);
  const now = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Makassar', hour12: false, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(terminalAt);
  const att = await fetch(server.url + '/iclock/cdata?SN=AEYU184860311&table=ATTLOG&Stamp=1', { method: 'POST', body: `97531\t${now}\t0\t1\t0\t0\t0\n` });
  assert.equal(att.status, 200);
  assert.match(await att.text(), /^OK:1/);

  // A check-in sent from the phone's offline queue three hours late: marked for review.
  const loc = await officeLocation(server, empToken);
  const cfd = new FormData();
  cfd.append('meta', JSON.stringify({ idempotency_key: 'konsol-offline-1', lat: loc.lat, lon: loc.lon, accuracy_m: 8, captured_at: new Date(Date.now() - 3 * 3600e3).toISOString() }));
  cfd.append('photo', new Blob([await jpegBytes()], { type: 'image/jpeg' }), 'selfie.jpg');
  const ci = await fetch(server.url + '/api/v1/checkins', { method: 'POST', headers: { Authorization: `Bearer ${empToken}` }, body: cfd });
  const cib = await ci.json();
  assert.equal(ci.status, 201, JSON.stringify(cib));
  assert.equal(cib.punch.review, 'offline_gap');

  const { ctx, page } = await desk(operator());
  await page.goto(server.url + '/admin/inbox');
  const card = page.locator(`#request-${id}`);
  await card.waitFor();
  await card.locator('details.evidence summary').click();
  const img = card.locator('details.evidence img');
  await img.waitFor();
  await page.waitForFunction((sel) => { const i = document.querySelector(sel); return i && i.complete && i.naturalWidth > 0; }, `#request-${id} details.evidence img`);
  assert.equal(await img.evaluate((i) => i.naturalWidth), 320, 'the evidence photo itself is shown');
  await card.scrollIntoViewIfNeeded();
  await screenshot(page, 'admin-inbox-evidence');
  // The operator approves it (head-level, in their subtree).
  await card.locator('button.approve').click();
  await page.locator(`#request-${id}[data-state="approved"]`).waitFor();

  // The review list shows the late-sent check-in with its photo.
  const review = page.locator(`#reviews article[data-punch="${cib.punch.id}"]`);
  assert.match(await review.innerText(), /Dikirim terlambat dari ponsel/);
  assert.match(await review.innerText(), /menunggu pemeriksaan atasan/);
  assert.equal(await review.locator('img').count(), 1);
  // Not counted until someone responsible accepts it (issue 16): the operator does, with a note.
  assert.equal(cib.punch.state, 'pending');
  await review.locator('input[name="note"]').fill('sinyal hilang pagi itu');
  await review.locator('button[value="accept"]').click();
  await page.locator('#flash .ok').waitFor();
  assert.match(await page.locator('#flash').innerText(), /1 absen diterima/);
  await review.waitFor({ state: 'detached' }); // the decided card leaves at once
  // The unknown PIN, then given to the employee: their punch appears and the row is gone.
  assert.equal(await page.locator('#unmatched-table tr[data-pin="97531"]').count(), 1);
  await page.locator('#unmatched-table').scrollIntoViewIfNeeded();
  await screenshot(page, 'admin-inbox-pins-review');
  await page.locator('#pin').fill('97531');
  await page.locator('#pin-employee').fill(me.employee?.login || server.employee.username);
  await page.locator('form[hx-post="/admin/inbox/assign-pin"] button').click();
  await page.locator('#flash .ok', { hasText: 'PIN 97531 diberikan' }).waitFor();
  await page.reload();
  assert.equal(await page.locator('#unmatched-table tr[data-pin="97531"]').count(), 0);
  assert.equal(await page.locator(`#reviews article[data-punch="${cib.punch.id}"]`).count(), 0, 'decided punches leave the queue');
  const opToken = await apiLogin(server, operator());
  const ps = await punchesOn(server, opToken, server.employee.username, todayIn('Asia/Makassar', terminalAt));
  assert.ok(ps.some((p) => p.source === 'terminal' && p.device_pin === '97531'), JSON.stringify(ps));
  await ctx.close();
});

test('operator: one review screen — evidence on the card, filter, bulk rejection needs a note (issue 20)', async () => {
  const empToken = await apiLogin(server, server.employee);
  const loc = await officeLocation(server, empToken);
  const cfd = new FormData();
  const capturedAt = new Date(Date.now() - 4 * 3600e3);
  cfd.append('meta', JSON.stringify({ idempotency_key: 'konsol-offline-bulk', lat: loc.lat, lon: loc.lon, accuracy_m: 9, captured_at: capturedAt.toISOString() }));
  cfd.append('photo', new Blob([await jpegBytes()], { type: 'image/jpeg' }), 'selfie.jpg');
  const ci = await fetch(server.url + '/api/v1/checkins', { method: 'POST', headers: { Authorization: `Bearer ${empToken}` }, body: cfd });
  const cib = await ci.json();
  assert.equal(ci.status, 201, JSON.stringify(cib));

  const { ctx, page } = await desk(operator());
  await page.goto(server.url + '/admin/inbox');
  await page.locator('#f-type').selectOption('presensi');
  await page.locator('#inbox-filter button').click();
  await page.waitForURL(/type=presensi/);
  const card = page.locator(`#reviews article[data-punch="${cib.punch.id}"]`);
  const text = await card.innerText();
  assert.match(text, /Aplikasi ponsel/);
  assert.match(text, /Waktu di tempat.*WITA/s);
  assert.match(text, /Diterima server.*WITA/s);
  assert.match(text, /akurasi 9 m/);
  assert.equal(await card.locator('svg.map').count(), 1, 'position drawn on the scaled sketch');
  await page.waitForFunction((sel) => { const i = document.querySelector(sel); return i && i.complete && i.naturalWidth > 0; }, `#punch-${cib.punch.id} img`);
  assert.equal(await page.locator('#requests article').count(), 0, 'type filter: punches only');
  await card.scrollIntoViewIfNeeded();
  await screenshot(page, 'admin-review-card');
  // Bulk rejection without a note is refused and nothing leaves; with a note the card goes.
  await card.locator('input[name="punch"]').check();
  await page.locator('#bulk button[value="reject"]').click();
  await page.locator('#flash .error').waitFor();
  assert.match(await page.locator('#flash').innerText(), /alasan penolakan/);
  assert.equal(await card.count(), 1);
  await page.locator('#bulk-note').fill('foto bukan di kantor');
  await page.locator('#bulk button[value="reject"]').click();
  await page.locator('#flash .ok', { hasText: '1 butir ditolak' }).waitFor();
  await card.waitFor({ state: 'detached' });
  const opToken = await apiLogin(server, operator());
  const ps = await punchesOn(server, opToken, server.employee.username, todayIn('Asia/Makassar', capturedAt));
  const p = ps.find((x) => x.id === cib.punch.id);
  assert.deepEqual([p.state, p.decision_note], ['rejected', 'foto bukan di kantor']);
  await ctx.close();
});

test('operator edits an employee\'s position; TPP base and start date are the BKD\'s (issue 16)', async () => {
  const { ctx, page } = await desk(operator());
  await page.goto(server.url + `/admin/employees?unit=SDN001&category=PNS&status=active&q=${encodeURIComponent(server.employee.username)}`);
  const row = page.locator(`#employees-table tr[data-login="${server.employee.username}"]`);
  await row.waitFor();
  // The edit form is its own page (issue 20: inside a table cell it overflowed at 1366 px).
  await row.locator('a.edit-link').click();
  await page.waitForURL(`**/admin/employees/${server.employee.username}`);
  const form = page.locator('form.edit-employee');
  const box = await form.boundingBox();
  assert.ok(box && box.x + box.width <= 1366, `the form fits the screen: ${JSON.stringify(box)}`);
  await form.locator('input[name="position"]').fill('Guru Kelas VI');
  assert.equal(await form.locator('input[name="tpp_base"]').isDisabled(), true, 'operators do not set pay');
  assert.equal(await form.locator('input[name="start_date"]').isDisabled(), true);
  await screenshot(page, 'admin-employee-edit');
  await form.locator('button.save-employee').click();
  await page.locator('#flash .ok').waitFor();
  assert.match(await page.locator('#flash').innerText(), /1 kolom diubah/);
  await ctx.close();

  // The admin sets the TPP base and the start date.
  const a = await desk(admin());
  await a.page.goto(server.url + `/admin/employees?unit=SDN001&category=PNS&status=active&q=${encodeURIComponent(server.employee.username)}`);
  const arow = a.page.locator(`#employees-table tr[data-login="${server.employee.username}"]`);
  await arow.waitFor();
  await arow.locator('a.edit-link').click();
  await a.page.waitForURL(`**/admin/employees/${server.employee.username}`);
  const aform = a.page.locator('form.edit-employee');
  await aform.locator('input[name="tpp_base"]').fill('3.750.000');
  await aform.locator('input[name="start_date"]').fill('2024-07-15');
  await aform.locator('button.save-employee').click();
  await a.page.locator('#flash .ok').waitFor();
  assert.match(await a.page.locator('#flash').innerText(), /2 kolom diubah/);
  const token = await apiLogin(server, operator());
  const e = (await api(server, 'GET', `/api/v1/employees/${server.employee.username}`, { token })).body;
  assert.deepEqual([e.position, e.tpp_base, e.start_date], ['Guru Kelas VI', 3750000, '2024-07-15']);
  await a.ctx.close();
});
