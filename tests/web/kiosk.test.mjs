// Issue 21: the office QR kiosk end to end. A kiosk page (its own browser, signed in with the
// token an operator issued) shows the signed code; a screenshot of it is the phone's fake
// camera feed (Chromium's --use-file-for-fake-video-capture with an MJPEG file made of the
// screenshot's JPEG), so the app really scans it from the camera, takes the selfie and checks
// in without needing the geofence. The kiosk then greets the teacher.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { api, apiLogin, startServer, launch, chromiumPath, uiLogin, teachers, ARTIFACTS, screenshot, officeLocation, north } from './harness.mjs';

let server, browser, phoneBrowser, witnessBrowser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await witnessBrowser?.close(); await phoneBrowser?.close(); await browser?.close(); await server?.stop();
});

// A Chromium whose fake camera shows `jpeg` (an MJPEG file of that frame).
async function cameraSeeing(jpeg, name) {
  const feed = path.join(ARTIFACTS, `${name}.mjpeg`);
  writeFileSync(feed, Buffer.concat([jpeg, jpeg]));
  return chromium.launch({
    executablePath: chromiumPath(), headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${feed}`]
  });
}

test('the app scans the kiosk QR from the camera and checks in without GPS; the kiosk greets the teacher', async (t) => {
  const admin = await apiLogin(server, server.logins['admin BKD']);
  const [teacher] = await teachers(server, admin, 'SDN001', 1);
  const k = await api(server, 'POST', '/api/v1/kiosks', { token: admin, body: { name: 'Lobi SDN 001', unit_code: 'SDN001' } });
  assert.equal(k.status, 201, JSON.stringify(k.body));

  // The kiosk: a plain desktop browser page, signed in once with the token.
  const kctx = await browser.newContext({ viewport: { width: 640, height: 480 }, locale: 'id-ID', timezoneId: 'Asia/Makassar' });
  const kiosk = await kctx.newPage();
  await kiosk.goto(server.url + '/kiosk');
  await kiosk.locator('#kiosk-token').fill(k.body.token);
  await kiosk.locator('#kiosk-start').click();
  await kiosk.locator('#kiosk-qr svg').waitFor();
  assert.match(await kiosk.locator('#kiosk-unit').textContent(), /\S/);
  // Wait for a new code so the phone has its full 60 s.
  const first = await kiosk.locator('#kiosk-qr').getAttribute('data-code');
  await kiosk.waitForFunction((c) => document.getElementById('kiosk-qr').getAttribute('data-code') !== c, first, { timeout: 40000 });
  await kiosk.evaluate(() => { document.querySelector('header').hidden = true; document.querySelector('.k-hint').hidden = true; });
  const code = await kiosk.locator('#kiosk-qr').getAttribute('data-code');
  mkdirSync(ARTIFACTS, { recursive: true });
  const jpeg = await kiosk.screenshot({ type: 'jpeg', quality: 95 });
  const feed = path.join(ARTIFACTS, 'kiosk-feed.mjpeg');
  writeFileSync(feed, Buffer.concat([jpeg, jpeg]));

  // The phone: its camera sees the kiosk screen. No position is granted at all.
  phoneBrowser = await chromium.launch({
    executablePath: chromiumPath(), headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${feed}`]
  });
  const ctx = await phoneBrowser.newContext({
    viewport: { width: 360, height: 800 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
    locale: 'id-ID', timezoneId: 'Asia/Makassar'
  });
  await ctx.grantPermissions(['camera'], { origin: server.url });
  const page = await ctx.newPage();
  await uiLogin(page, server, teacher);
  await page.locator('#btn-scan').click();
  await page.locator('#screen-checkin').waitFor({ state: 'visible', timeout: 30000 });
  const decoder = await page.evaluate(() => document.body.getAttribute('data-qr-decoder'));
  assert.ok(decoder === 'native' || decoder === 'jsqr', decoder);
  t.diagnostic(`QR decoder in this Chromium: ${decoder}`);
  assert.equal(await page.locator('#checkin-title').textContent(), 'Absen dengan QR kantor');
  assert.match(await page.locator('#checkin-geo').textContent(), /kode QR kantor/);
  await page.waitForFunction(() => document.getElementById('cam-video').videoWidth > 0, null, { timeout: 15000 });
  await page.locator('#cam-shoot').click();
  await page.locator('#cam-photo').waitFor({ state: 'visible' });
  await page.locator('#checkin-send').click();
  await page.locator('#result-box.ok, #result-box.late, #result-box.ignored, #result-box.pending, #result-box.bad').waitFor();
  await screenshot(page, 'kiosk-phone-result');
  const cls = await page.locator('#result-box').getAttribute('class');
  assert.notEqual(cls, 'result bad', await page.locator('#result-message').textContent());
  assert.notEqual(cls, 'result pending', 'a fresh kiosk check-in counts at once');
  assert.match(await page.locator('#result-detail').textContent(), /Kiosk QR: Lobi SDN 001/);

  // Stored for the teacher with the kiosk as the place and no position.
  const token = await apiLogin(server, teacher);
  const list = await api(server, 'GET', '/api/v1/punches', { token });
  const punch = list.body.items.find((p) => p.location === 'Kiosk QR: Lobi SDN 001');
  assert.ok(punch, JSON.stringify(list.body.items));
  assert.equal(punch.lat, null);
  assert.equal(punch.state, 'counted');

  // The kiosk greets them within its next refresh.
  const firstName = teacher.name.split(/\s+/)[0];
  await kiosk.locator('#kiosk-recent li', { hasText: `Selamat datang, ${firstName}` }).waitFor({ timeout: 15000 });
  assert.match(await kiosk.locator('#kiosk-recent li').first().textContent(), /— \d\d:\d\d WITA$/);
  await screenshot(kiosk, 'kiosk-screen');
  assert.ok(code.startsWith('HK1.'));
});

test('a colleague checks in the person whose phone failed: the witness scans the printed card in a second browser', async () => {
  const admin = await apiLogin(server, server.logins['admin BKD']);
  const [, person, witness] = await teachers(server, admin, 'SDN001', 3);
  const office = await officeLocation(server, await apiLogin(server, witness));

  // The person shows their card from the app ("Data saya" → "Kartu QR saya").
  const pctx = await browser.newContext({ viewport: { width: 640, height: 480 }, locale: 'id-ID', timezoneId: 'Asia/Makassar' });
  const ppage = await pctx.newPage();
  await uiLogin(ppage, server, person);
  await ppage.goto(server.url + '/#/data-saya');
  await ppage.locator('#btn-card').click();
  await ppage.locator('#card-qr svg').waitFor();
  assert.match(await ppage.locator('#card-version').textContent(), /Kartu ke-1/);
  await ppage.locator('#card-qr').scrollIntoViewIfNeeded();
  await ppage.evaluate(() => document.getElementById('card-qr').scrollIntoView({ block: 'center' }));
  const card = await ppage.screenshot({ type: 'jpeg', quality: 95 });

  // The witness: another browser (second context on another phone) whose camera sees the card.
  witnessBrowser = await cameraSeeing(card, 'card-feed');
  const wctx = await witnessBrowser.newContext({
    viewport: { width: 360, height: 800 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
    locale: 'id-ID', timezoneId: 'Asia/Makassar', geolocation: north(office, 30)
  });
  await wctx.grantPermissions(['geolocation', 'camera'], { origin: server.url });
  const page = await wctx.newPage();
  await uiLogin(page, server, witness);
  await page.locator('#btn-colleague').click();
  await page.locator('#screen-checkin').waitFor({ state: 'visible', timeout: 30000 });
  assert.match(await page.locator('#checkin-title').textContent(), /Absen untuk rekan/);
  await page.waitForFunction(() => document.getElementById('cam-video').videoWidth > 0, null, { timeout: 15000 });
  await page.locator('#cam-shoot').click();
  await page.locator('#cam-photo').waitFor({ state: 'visible' });
  await page.locator('#checkin-send:not([disabled])').waitFor({ timeout: 15000 });
  await page.locator('#checkin-send').click();
  await page.locator('#result-box.ok, #result-box.late, #result-box.ignored, #result-box.pending, #result-box.bad').waitFor();
  await screenshot(page, 'colleague-result');
  // A colleague's check-in counts at once (the head may reject it afterwards).
  assert.notEqual(await page.locator('#result-box').getAttribute('class'), 'result pending', await page.locator('#result-message').textContent());
  assert.match(await page.locator('#result-message').textContent(), /^Diabsenkan oleh rekan /);
  assert.match(await page.locator('#result-message').textContent(), new RegExp(person.name));

  // Stored for the person with the witness named, counted and listed for the head; nothing for the witness.
  const ptoken = await apiLogin(server, person);
  const mine = (await api(server, 'GET', '/api/v1/punches', { token: ptoken })).body.items;
  const punch = mine.find((p) => p.review === 'colleague');
  assert.ok(punch, JSON.stringify(mine));
  assert.equal(punch.state, 'counted');
  assert.match(punch.review_detail, new RegExp(witness.username));
  const theirs = (await api(server, 'GET', '/api/v1/punches', { token: await apiLogin(server, witness) })).body.items;
  assert.equal(theirs.filter((p) => p.review === 'colleague').length, 0);
});
