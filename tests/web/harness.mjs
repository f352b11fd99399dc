// Shared helpers for the browser tests: a demo server per test file, Debian's Chromium with a
// fake camera and a granted, fake position, API calls, screenshots and accessibility checks.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
export const ARTIFACTS = path.join(here, 'artifacts');

// Starts `hadir demo` on a free port in a fresh data dir; resolves once it listens.
export async function startServer() {
  const bin = process.env.HADIR_BIN || path.join(repo, 'target', 'debug', 'hadir');
  if (!existsSync(bin)) throw new Error(`hadir binary not found at ${bin} (build it or set HADIR_BIN)`);
  const data = mkdtempSync(path.join(tmpdir(), 'hadir-web-'));
  const proc = spawn(bin, ['--data', data, 'demo', '--listen', '127.0.0.1:0'], {
    // The fraud-signal analyser (issue 23) is off here: Chromium's fake camera shows one picture
    // and the tests set exact positions, which it would hold for review under the tests' feet.
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { HADIR_SERVER__SIGNALS__ENABLED: 'false', ...process.env, RUST_LOG: process.env.RUST_LOG || 'warn' }
  });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; if (stderr.length > 20000) stderr = stderr.slice(-10000); });
  const info = { data, proc, logins: {} };
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start in 60 s\n' + stderr)), 60000);
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited (${code})\n${stderr}`)); });
    createInterface({ input: proc.stdout }).on('line', (line) => {
      const login = /^\s*(admin BKD|operator|kepala unit|pegawai)\s*:\s*(\S+)\s*\/\s*(\S+)/.exec(line);
      if (login) info.logins[login[1]] = { username: login[2], password: login[3] };
      const m = /listening on (http:\/\/\S+)/.exec(line);
      if (m) { clearTimeout(timer); info.url = m[1]; resolve(); }
    });
  });
  proc.removeAllListeners('exit');
  info.employee = info.logins.pegawai;
  if (!info.employee) throw new Error('demo did not print the "pegawai" login');
  info.stop = async () => {
    if (proc.exitCode == null) {
      proc.kill('SIGTERM');
      await new Promise((r) => { const t = setTimeout(() => { proc.kill('SIGKILL'); r(); }, 5000); proc.on('exit', () => { clearTimeout(t); r(); }); });
    }
    rmSync(data, { recursive: true, force: true });
  };
  return info;
}

// JSON API call from the test (not the browser). Returns {status, body, headers}.
export async function api(server, method, p, { token, body } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(server.url + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = text; }
  return { status: res.status, body: json, headers: res.headers };
}

export async function apiLogin(server, who = server.employee) {
  const r = await api(server, 'POST', '/api/v1/auth/login', { body: { username: who.username, password: who.password } });
  if (r.status !== 200) throw new Error(`login failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.token;
}

// The employee's office location (the first location of their unit).
export async function officeLocation(server, token) {
  const r = await api(server, 'GET', '/api/v1/units', { token });
  const loc = r.body.flatMap((u) => u.locations || [])[0];
  if (!loc) throw new Error('the employee unit has no location');
  return loc;
}

// A point `metres` north of a location (1° of latitude ≈ 111,195 m on the app's sphere).
export const north = (loc, metres) => ({ latitude: loc.lat + metres / 111195.08, longitude: loc.lon, accuracy: 8 });

export function chromiumPath() {
  for (const p of [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean)) {
    if (existsSync(p)) return p;
  }
  throw new Error('Chromium not found: apt-get install -y chromium (or set CHROMIUM_PATH)');
}

export async function launch() {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream']
  });
}

// A phone-sized context with camera and location granted for the server's origin.
export async function phone(browser, server, position) {
  const ctx = await browser.newContext({
    viewport: { width: 360, height: 800 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
    locale: 'id-ID', timezoneId: 'Asia/Makassar', geolocation: position
  });
  await ctx.grantPermissions(['geolocation', 'camera'], { origin: server.url });
  return ctx;
}

// Logs in through the UI and waits for the home screen.
export async function uiLogin(page, server, who = server.employee) {
  await page.goto(server.url + '/');
  await page.locator('#login-nip').fill(who.username);
  await page.locator('#login-password').fill(who.password);
  await page.locator('#login-submit').click();
  await page.locator('#screen-home').waitFor({ state: 'visible' });
}

// Takes a selfie with the fake camera on the check-in screen and waits for the preview.
export async function takeSelfie(page) {
  await page.locator('#screen-checkin').waitFor({ state: 'visible' });
  await page.waitForFunction(() => document.getElementById('cam-video').videoWidth > 0, null, { timeout: 15000 });
  await page.locator('#cam-shoot').click();
  await page.locator('#cam-photo').waitFor({ state: 'visible' });
}

export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
}

// Accessibility smoke check of the current page: every form control has a label, and the
// given buttons' text/background contrast is at least 4.5:1. Returns a list of problems.
export async function a11yProblems(page, buttonSelectors) {
  return page.evaluate((selectors) => {
    const problems = [];
    for (const c of document.querySelectorAll('input, select, textarea')) {
      if (c.type === 'hidden') continue;
      const labelled = (c.id && document.querySelector(`label[for="${CSS.escape(c.id)}"]`)?.textContent.trim()) ||
        c.closest('label')?.textContent.trim() || c.getAttribute('aria-label') ||
        (c.getAttribute('aria-labelledby') && document.getElementById(c.getAttribute('aria-labelledby'))?.textContent.trim());
      if (!labelled) problems.push(`no label: ${c.outerHTML.slice(0, 80)}`);
    }
    const rgb = (s) => (s.match(/[\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => {
      const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    for (const sel of selectors) {
      const el = document.querySelector(sel);
      if (!el) { problems.push(`missing button ${sel}`); continue; }
      const fg = rgb(getComputedStyle(el).color).slice(0, 3);
      const bg = background(el);
      const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
      const ratio = (a + 0.05) / (b + 0.05);
      if (ratio < 4.5) problems.push(`contrast ${ratio.toFixed(2)} < 4.5 for ${sel}`);
    }
    return problems;
  }, buttonSelectors);
}

// Punches of the employee for one local day, through the API.
export async function punchesOn(server, token, nip, day) {
  const r = await api(server, 'GET', `/api/v1/punches?employee=${nip}&from=${day}&to=${day}`, { token });
  if (r.status !== 200) throw new Error(`punches: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.items;
}

// Today's date in the unit's zone (the demo employee is in Asia/Makassar), or the date of `at`
// there: a punch taken hours ago may belong to yesterday (00:00–04:00 WITA is 16:00–20:00 UTC).
export function todayIn(timeZone = 'Asia/Makassar', at = new Date()) {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

export const DEMO_PASSWORD = 'hadir123';

// Minutes since local midnight now, in the zone.
export function localMinutes(timeZone = 'Asia/Makassar', at = new Date()) {
  const [h, m] = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    .format(at).split(':').map(Number);
  return h * 60 + m;
}
const hhmm = (m) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

// Gives `nip` a one-checkpoint day today (a shift on a roster, which is worked even on a
// holiday), with the due time and window as minute offsets from now: the verdict of a punch made
// now is then known. Returns false when the window would cross midnight (the caller skips).
export async function shapeToday(server, adminToken, nip, { due, start, end }) {
  const now = localMinutes();
  const [d, s, e] = [now + due, now + start, now + end];
  if (s < 0 || e >= 24 * 60) return false;
  const name = `Uji ${nip} ${Date.now()}`;
  const cal = await api(server, 'POST', '/api/v1/calendars', {
    token: adminToken,
    body: {
      name, kind: 'roster', weekly: { monday: null, tuesday: null, wednesday: null, thursday: null, friday: null, saturday: null, sunday: null },
      overrides: [],
      shifts: [{ code: 'U', name: 'Uji', schedule: { checkpoints: [
        { name: 'masuk', kind: 'check_in', due: hhmm(d), window_start: hhmm(s), window_end: hhmm(e) }], break_minutes: 0 } }]
    }
  });
  if (cal.status !== 201) throw new Error(`calendar: ${cal.status} ${JSON.stringify(cal.body)}`);
  const as = await api(server, 'POST', `/api/v1/calendars/${cal.body.id}/assign`, { token: adminToken, body: { nip } });
  if (as.status !== 200 && as.status !== 204) throw new Error(`assign: ${as.status} ${JSON.stringify(as.body)}`);
  const ro = await api(server, 'PUT', '/api/v1/roster', { token: adminToken, body: { entries: [{ nip, date: todayIn(), shift: 'U' }] } });
  if (ro.status !== 200) throw new Error(`roster: ${ro.status} ${JSON.stringify(ro.body)}`);
  return true;
}

// Plain teachers of a demo unit (no role), as `{username, password, name}`.
export async function teachers(server, adminToken, unit = 'SDN001', count = 3) {
  const taken = new Set(Object.values(server.logins).map((l) => l.username));
  const r = await api(server, 'GET', `/api/v1/employees?unit=${unit}&limit=100`, { token: adminToken });
  if (r.status !== 200) throw new Error(`employees: ${r.status}`);
  return r.body.items.filter((e) => e.unit_code === unit && e.active && !taken.has(e.login)).slice(0, count)
    .map((e) => ({ username: e.login, password: DEMO_PASSWORD, name: e.name, id: e.id, tpp_base: e.tpp_base }));
}

// Text that wraps in a narrow column: every element under `root` holding text of its own that
// takes more than one line must be at least `fraction` of the viewport wide. Returns problems.
export async function squeezedText(page, root, fraction = 0.4) {
  return page.evaluate(({ root, fraction }) => {
    const min = window.innerWidth * fraction;
    const problems = [];
    for (const elem of document.querySelectorAll(`${root} *`)) {
      if (!elem.getClientRects().length) continue;
      for (const node of elem.childNodes) {
        if (node.nodeType !== 3 || !node.textContent.trim()) continue;
        const range = document.createRange();
        range.selectNodeContents(node);
        const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
        const width = elem.getBoundingClientRect().width;
        if (lines.size > 1 && width < min) {
          problems.push(`${Math.round(width)} px wide, ${lines.size} lines: "${node.textContent.trim().slice(0, 60)}"`);
        }
      }
    }
    return problems;
  }, { root, fraction });
}

// Visible text under `root` set smaller than `px`. Returns problems.
export async function smallText(page, root, px = 14) {
  return page.evaluate(({ root, px }) => {
    const problems = [];
    for (const elem of document.querySelectorAll(`${root}, ${root} *`)) {
      if (!elem.getClientRects().length) continue;
      const own = [...elem.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
      if (!own) continue;
      const size = parseFloat(getComputedStyle(elem).fontSize);
      if (size < px - 0.01) problems.push(`${size} px: "${elem.textContent.trim().slice(0, 40)}"`);
    }
    return problems;
  }, { root, px });
}

// The English-word check (issue 20), shared by english.test.mjs and the console tests: a short
// list of English UI words looked for in a screen's visible text and labels.
export const ENGLISH = [
  'submit', 'save', 'cancel', 'pending', 'approved', 'rejected', 'late', 'absent', 'history', 'settings',
  'logout', 'log out', 'login', 'error', 'loading', 'offline', 'online', 'retry', 'back', 'next', 'previous',
  'today', 'home', 'request', 'requests', 'leave', 'upload', 'delete', 'close', 'password', 'username',
  'check-in', 'check in', 'checkout', 'status', 'failed', 'success', 'null', 'undefined', 'true', 'false',
  'NaN', 'mobile', 'special', 'terminal', 'relay', 'on_time', 'not_counted'
];
// Words that are also Indonesian or proper names in this app: none of the list above is, except
// "status" (used in Indonesian: "status hari itu"), which is therefore left out below.
const ALLOWED = new Set(['status']);

// Visible text of the current screen plus aria-label, title, placeholder and alt texts.
export async function words(page) {
  return page.evaluate(() => {
    const parts = [document.title, document.body.innerText];
    for (const e of document.querySelectorAll('[aria-label], [title], [placeholder], img[alt]')) {
      if (!e.getClientRects().length) continue;
      parts.push(e.getAttribute('aria-label') || '', e.getAttribute('title') || '', e.getAttribute('placeholder') || '', e.getAttribute('alt') || '');
    }
    return parts.join('\n');
  });
}

export function hits(text) {
  const found = [];
  for (const w of ENGLISH) {
    if (ALLOWED.has(w)) continue;
    const re = new RegExp(`(^|[^\\p{L}_])${w.replace(/[-_]/g, '[-_ ]?')}(?=$|[^\\p{L}_])`, 'iu');
    const m = re.exec(text);
    if (m) found.push(`${w}: …${text.slice(Math.max(0, m.index - 30), m.index + 40).replace(/\s+/g, ' ')}…`);
  }
  return found;
}

