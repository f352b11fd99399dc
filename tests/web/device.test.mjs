// Device key (issue 23): the app makes an ECDSA P-256 key in the browser, registers it once
// (the employee's first phone is trusted), and signs each check-in over its idempotency key and
// the SHA-256 of the photo it sends; a second phone (another browser profile) is pending until
// an operator accepts it. The signature is checked here with Node's WebCrypto against the public
// key the app registered, on the very bytes it sent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { api, startServer, launch, phone, uiLogin, takeSelfie, apiLogin, officeLocation, north } from './harness.mjs';

let server, browser, office, token;
before(async () => {
  server = await startServer();
  browser = await launch();
  token = await apiLogin(server);
  office = await officeLocation(server, token);
});
after(async () => { await browser?.close(); await server?.stop(); });

const b64url = (s) => Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');

async function checkIn(ctx, login = true) {
  const page = await ctx.newPage();
  const seen = {};
  page.on('request', (r) => {
    if (r.method() === 'POST' && r.url().endsWith('/api/v1/me/device-keys')) seen.register = JSON.parse(r.postData());
  });
  // The multipart body is not visible to Playwright: read the FormData the app hands to fetch.
  await page.addInitScript(() => {
    const real = window.fetch;
    window.fetch = async (url, init) => {
      if (String(url).endsWith('/api/v1/checkins') && init && init.body instanceof FormData) {
        const photo = new Uint8Array(await init.body.get('photo').arrayBuffer());
        window.__checkin = { meta: init.body.get('meta'), photo: Array.from(photo) };
      }
      return real(url, init);
    };
  });
  if (login) {
    await uiLogin(page, server);
  } else {
    await page.goto(server.url + '/');
    await page.locator('#screen-home').waitFor({ state: 'visible' });
  }
  await page.locator('#geo-status.inside').waitFor();
  await page.locator('#btn-absen').click();
  await takeSelfie(page);
  await page.locator('#checkin-send').click();
  await page.locator('#result-box.ok, #result-box.late, #result-box.ignored, #result-box.pending').waitFor();
  const c = await page.evaluate(() => window.__checkin);
  seen.checkin = { meta: c.meta, photo: Buffer.from(c.photo) };
  await page.close();
  return seen;
}

test('the app signs each check-in with its own device key; a second phone waits for the operator', async () => {
  const ctx = await phone(browser, server, north(office, 30));
  const seen = await checkIn(ctx);
  assert.ok(seen.register, 'the app registered its key');
  const meta = JSON.parse(seen.checkin.meta);
  const raw = b64url(seen.register.public_key);
  assert.equal(raw.length, 65, 'a raw uncompressed P-256 point');
  const keyId = Buffer.from(await webcrypto.subtle.digest('SHA-256', raw)).toString('hex');
  assert.equal(meta.device_key, keyId);
  const photoHash = Buffer.from(await webcrypto.subtle.digest('SHA-256', seen.checkin.photo)).toString('hex');
  const pub = await webcrypto.subtle.importKey('raw', raw, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
  const msg = Buffer.from(`hadir-checkin\n${meta.idempotency_key}\n${photoHash}`);
  assert.ok(await webcrypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, pub, b64url(meta.device_signature), msg), 'the signature verifies');

  // The same phone again: no second registration, the same key.
  const again = await checkIn(ctx, false);
  assert.equal(again.register, undefined);
  assert.equal(JSON.parse(again.checkin.meta).device_key, keyId);
  await ctx.close();

  // Another phone (a fresh browser profile): a new key, pending for the operator.
  const other = await phone(browser, server, north(office, 25));
  const third = await checkIn(other);
  await other.close();
  const admin = await apiLogin(server, server.logins['admin BKD']);
  const trusted = await api(server, 'GET', '/api/v1/device-keys?state=trusted', { token: admin });
  const pending = await api(server, 'GET', '/api/v1/device-keys?state=pending', { token: admin });
  assert.deepEqual(trusted.body.map((k) => k.key_id), [keyId]);
  assert.deepEqual(pending.body.map((k) => k.key_id), [JSON.parse(third.checkin.meta).device_key]);
  assert.equal(pending.body[0].employee_nip, server.employee.username);
});
