// Issue 21 point 4: the office-network mode. With the central server stopped, a phone's browser
// on the relay's plain-HTTP address signs in (a wrong password refused at the relay), takes the
// selfie through the file input (no live camera, no position) and checks in; the server comes
// back and the check-in is stored once, with the relay's time, and counts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import {
  startServer, launch, api, apiLogin, screenshot, punchesOn, todayIn, phone, uiLogin, officeLocation, north
} from './harness.mjs';

const bin = () => process.env.HADIR_BIN;
let server, browser, relayProc, relayDir, relayUrl, admin;

// Waits for a line of a child's stdout matching `re`; resolves with the match.
function waitLine(proc, re, what) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start in 60 s`)), 60000);
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${what} exited (${code})`)); });
    createInterface({ input: proc.stdout }).on('line', (line) => {
      const m = re.exec(line);
      if (m) { clearTimeout(timer); proc.removeAllListeners('exit'); resolve(m); }
    });
  });
}

async function stopProc(proc) {
  if (!proc || proc.exitCode != null) return;
  proc.kill('SIGTERM');
  await new Promise((r) => { const t = setTimeout(() => { proc.kill('SIGKILL'); r(); }, 5000); proc.on('exit', () => { clearTimeout(t); r(); }); });
}

// The demo server again on its data dir and port (the relay keeps the same URL).
async function restartServer() {
  const proc = spawn(bin(), ['--data', server.data, 'demo', '--listen', new URL(server.url).host], {
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { HADIR_SERVER__SIGNALS__ENABLED: 'false', ...process.env, RUST_LOG: 'warn' }
  });
  await waitLine(proc, /listening on (http:\/\/\S+)/, 'server');
  server.proc = proc;
}

// A small camera-like JPEG made by Chromium itself (the "photo" the phone's camera app returns).
async function jpegFromBrowser(page) {
  const b64 = await page.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 480; c.height = 640;
    const g = c.getContext('2d');
    const grad = g.createLinearGradient(0, 0, 480, 640);
    grad.addColorStop(0, '#c96'); grad.addColorStop(1, '#236');
    g.fillStyle = grad; g.fillRect(0, 0, 480, 640);
    g.fillStyle = '#fda'; g.beginPath(); g.arc(240, 260, 120, 0, 7); g.fill();
    return c.toDataURL('image/jpeg', 0.85).split(',')[1];
  });
  return Buffer.from(b64, 'base64');
}

before(async () => {
  server = await startServer();
  browser = await launch();
  admin = await apiLogin(server, server.logins['admin BKD']);
  const me = await api(server, 'GET', `/api/v1/employees/${server.employee.username}`, { token: admin });
  const unit = me.body.unit_code;
  assert.ok(unit, `the employee's unit: ${JSON.stringify(me.body)}`);
  const r = await api(server, 'POST', '/api/v1/relays', { token: admin, body: { name: 'Relay Kantor Uji', unit_code: unit } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  relayDir = mkdtempSync(path.join(tmpdir(), 'hadir-relay-web-'));
  const config = path.join(relayDir, 'relay.toml');
  writeFileSync(config, [
    `server = "${server.url}"`, `token = "${r.body.token}"`, 'interval_secs = 1',
    `buffer = "${path.join(relayDir, 'relay.db')}"`, 'status_listen = "127.0.0.1:0"',
    'retry_min_ms = 200', 'retry_max_secs = 1', 'roster_interval_secs = 3600', 'app_listen = "127.0.0.1:0"',
    'app_url = "http://192.168.1.10:8080"', ''
  ].join('\n'));
  relayProc = spawn(bin(), ['--config', config, 'relay'], { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, RUST_LOG: 'warn' } });
  const m = await waitLine(relayProc, /Presensi lokal \(jaringan kantor\): (http:\/\/\S+?)\/?$/, 'relay');
  relayUrl = m[1];
  // The roster (with the unit's password hashes) reaches the relay: sign-in works there.
  const deadline = Date.now() + 30000;
  for (;;) {
    const res = await fetch(relayUrl + '/api/v1/auth/login', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: server.employee.username, password: server.employee.password })
    });
    if (res.status === 200) break;
    if (Date.now() > deadline) throw new Error('the relay never received the roster');
    await new Promise((r) => setTimeout(r, 300));
  }
});
after(async () => {
  await browser?.close();
  await stopProc(relayProc);
  if (relayDir) rmSync(relayDir, { recursive: true, force: true });
  // The restarted server is not the process `server.stop` knows: stop it first, or its open
  // pipe keeps the test runner alive.
  await stopProc(server?.proc);
  await server?.stop();
});

test('the central app shows the unit\'s local address', async () => {
  const token = await apiLogin(server);
  const office = await officeLocation(server, token);
  const ctx = await phone(browser, server, north(office, 20));
  const page = await ctx.newPage();
  await uiLogin(page, server);
  const line = page.locator('#local-presence');
  await line.waitFor({ state: 'visible' });
  assert.match(await line.textContent(), /Presensi lokal.*http:\/\/192\.168\.1\.10:8080/);
  await screenshot(page, 'relay-00-central-home');
  await ctx.close();
});

test('with the server down, a phone checks in at the relay; it is stored once with the relay time and counts', async () => {
  const token = await apiLogin(server);
  const day = todayIn();
  const before = (await punchesOn(server, token, server.employee.username, day)).length;

  // The uplink is down: the central server stops.
  await stopProc(server.proc);

  // A phone on the office LAN: no camera or position permissions granted.
  const ctx = await browser.newContext({ viewport: { width: 360, height: 800 }, isMobile: true, hasTouch: true, locale: 'id-ID', timezoneId: 'Asia/Makassar' });
  const page = await ctx.newPage();
  await page.goto(relayUrl + '/');
  assert.equal(await page.getAttribute('html', 'data-mode'), 'relay');

  // A wrong password is refused at the relay.
  await page.locator('#login-nip').fill(server.employee.username);
  await page.locator('#login-password').fill('bukan-sandinya');
  await page.locator('#login-submit').click();
  await page.locator('#login-error').waitFor({ state: 'visible' });
  assert.match(await page.locator('#login-error').textContent(), /NIP atau kata sandi salah/);

  await page.locator('#login-password').fill(server.employee.password);
  await page.locator('#login-submit').click();
  await page.locator('#screen-home').waitFor({ state: 'visible' });
  assert.match(await page.locator('#geo-status').textContent(), /Presensi lokal/);
  assert.ok(await page.locator('#btn-scan').isHidden(), 'only check-in on the relay');
  await screenshot(page, 'relay-01-home');

  await page.locator('#btn-absen').click();
  await page.locator('#screen-checkin').waitFor({ state: 'visible' });
  assert.equal(await page.getAttribute('#cam-file', 'capture'), 'user');
  const jpeg = await jpegFromBrowser(page);
  const chooser = page.waitForEvent('filechooser');
  await page.locator('#cam-shoot').click();
  await (await chooser).setFiles({ name: 'foto.jpg', mimeType: 'image/jpeg', buffer: jpeg });
  await page.locator('#cam-photo').waitFor({ state: 'visible' });
  const sentAt = new Date();
  await page.locator('#checkin-send').click();
  await page.locator('#result-box.ok').waitFor();
  assert.equal(await page.locator('#result-title').textContent(), 'Absen tercatat di kantor');
  await screenshot(page, 'relay-02-result');

  // The server returns (a little later, so receipt and relay time differ); the relay forwards.
  await new Promise((r) => setTimeout(r, 2500));
  await restartServer();
  const deadline = Date.now() + 30000;
  let punches = [];
  for (;;) {
    punches = await punchesOn(server, token, server.employee.username, day).catch(() => []);
    if (punches.length > before || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 300));
  }
  assert.equal(punches.length, before + 1, JSON.stringify(punches));
  const p = punches.find((x) => x.source === 'relay');
  assert.ok(p, JSON.stringify(punches));
  assert.equal(p.state, 'counted', JSON.stringify(p));
  assert.match(p.location, /Relay Kantor Uji/);
  const at = Date.parse(p.punched_at);
  assert.ok(Math.abs(at - sentAt.getTime()) < 10000, `the relay's time ${p.punched_at}, not the receipt time ${p.received_at}`);
  assert.ok(Date.parse(p.received_at) - at > 1000, 'received after the server came back');

  // Later forwards add nothing.
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal((await punchesOn(server, token, server.employee.username, day)).length, before + 1);
  await ctx.close();
});
