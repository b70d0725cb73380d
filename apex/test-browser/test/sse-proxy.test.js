'use strict';
// The demo pages behind a real nginx configured like a corporate proxy that lets no WebSocket through
// (lib/nginx.js): pulse.js falls back to Server-Sent Events + POST by itself, and the pages work as
// they do on sockets. Also: an idle stream outlives nginx's proxy_read_timeout thanks to the gateway's
// heartbeat comments, and a gateway restart behind nginx is recovered.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { EventSource } = require('eventsource');
const { Gateway, sleep } = require('../lib/gateway');
const { Nginx } = require('../lib/nginx');
const { launch, openPage, screenshot } = require('../lib/browser');
const { online, chat, chatShows, chatCounts, unexpectedErrors } = require('../lib/waits');

// heartbeats every 2 s, nginx cuts what stays silent for 5 s
const HEARTBEAT_SECONDS = 2;
let gw;
let proxy;
let browser;

// the refused WebSocket handshakes are logged by the browser: expected behind this proxy
const BLOCKED = [/WebSocket connection to/, /Failed to load resource/, /net::ERR_/, /Failed to fetch/, /\/dev\/orders/];

before(async () => {
  gw = await new Gateway({ name: 'sse-proxy', env: { PULSE_HEARTBEAT_INTERVAL_SECONDS: String(HEARTBEAT_SECONDS) } }).start();
  proxy = await new Nginx([gw.port], { readTimeout: '5s' }).start();
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close().catch(() => {});
  if (proxy) await proxy.close();
  if (gw) await gw.close();
});

async function onStreams(page) {
  await online(page, 20000);
  assert.equal(await page.evaluate(() => window.demoState.transport), 'sse');
  assert.equal(await page.evaluate(() => window.demoClient.transport), 'sse');
}

/** A WebSocket handshake through the proxy, as a browser sends it: the status it gets. */
function handshake(port) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/ws', headers: {
      Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    } });
    req.on('upgrade', (res, socket) => { socket.destroy(); resolve(res.statusCode); });
    req.on('response', (res) => { res.resume(); resolve(res.statusCode); });
    req.on('error', reject);
    req.end();
  });
}

test('the proxy refuses WebSockets, so the pages fall back to event streams', async () => {
  assert.equal(await handshake(gw.port), 101, 'the gateway itself upgrades');
  assert.equal(await handshake(proxy.port), 400, 'nginx does not pass Upgrade: the gateway sees a plain GET');
  const page = await openPage(browser, `${proxy.base}/chat.html?user=probe&room=p0`);
  try {
    await onStreams(page);
    // nginx logs a request once it is done: the subscription's POST right after the welcome
    for (let i = 0; i < 100 && !proxy.requests().some((r) => r.method === 'POST'); i++) await sleep(50);
    const requests = proxy.requests();
    assert.ok(requests.some((r) => r.method === 'GET' && r.uri === '/ws' && r.status === 400), 'a WebSocket was tried first: ' + JSON.stringify(requests));
    // (the stream itself is logged when it ends)
    assert.ok(requests.some((r) => r.method === 'POST' && r.uri.startsWith('/sse/') && r.status === 202));
    assert.deepEqual(unexpectedErrors(page, BLOCKED), []);
  } finally {
    await page.context().close();
  }
});

test('through the proxy the dashboard re-renders within a second of a publish; pulse-message fires; users online from presence', async () => {
  const dash = await openPage(browser, `${proxy.base}/dashboard.html?user=dana`);
  const other = await openPage(browser, `${proxy.base}/chat.html?user=erik&room=dash`);
  try {
    await onStreams(dash);
    await onStreams(other);
    await dash.waitForFunction(() => (window.demoState.online || []).includes('erik') && (window.demoState.online || []).includes('dana'),
      null, { timeout: 5000 });
    for (let i = 0; i < 3; i++) {
      const data = { rows: [{ status: 'NEW', orders: 40 + i }, { status: 'PAID', orders: 2 }], at: new Date().toISOString() };
      const publishedAt = Date.now();
      const offset = await gw.publish('dashboard/orders', data);
      await dash.waitForFunction((o) => (window.demoState.renders || []).some((r) => r.offset === o), offset, { timeout: 1000, polling: 10 });
      const render = await dash.evaluate((o) => window.demoState.renders.find((r) => r.offset === o), offset);
      assert.ok(render.renderedAt - publishedAt < 1000, `rendered ${render.renderedAt - publishedAt} ms after the publish`);
      const event = await dash.evaluate((o) => window.demoState.pulseEvents.find((e) => e.offset === o), offset);
      assert.deepEqual(event.data, data);
    }
    await screenshot(dash, 'dashboard-behind-proxy');
    assert.deepEqual(unexpectedErrors(dash, BLOCKED), []);
  } finally {
    await dash.context().close();
    await other.context().close();
  }
});

test('through the proxy the chat delivers between two pages, with presence and leave', async () => {
  const alice = await openPage(browser, `${proxy.base}/chat.html?user=alice&room=px`);
  const bob = await openPage(browser, `${proxy.base}/chat.html?user=bob&room=px`);
  let bobOpen = true;
  try {
    await onStreams(alice);
    await onStreams(bob);
    await alice.waitForFunction(() => document.querySelectorAll('#people li').length === 2, null, { timeout: 5000 });
    await alice.fill('#text', 'hello bob');
    await alice.click('#send');
    await chatShows(bob, ['hello bob'], 3000);
    await bob.fill('#text', 'hi alice');
    await bob.press('#text', 'Enter');
    await chatShows(alice, ['hello bob', 'hi alice'], 3000);
    await chatShows(bob, ['hi alice'], 3000);
    for (const page of [alice, bob]) {
      assert.deepEqual(await chatCounts(page, ['hello bob', 'hi alice']), { 'hello bob': 1, 'hi alice': 1 });
    }
    await bob.context().close();
    bobOpen = false;
    // bob's stream ends with his page; nginx hangs up on the gateway, which counts him gone
    await alice.waitForFunction(() => [...document.querySelectorAll('#people li')].map((li) => li.dataset.user).join() === 'alice',
      null, { timeout: 5000 });
    await screenshot(alice, 'chat-behind-proxy');
    assert.deepEqual(unexpectedErrors(alice, BLOCKED), []);
  } finally {
    await alice.context().close();
    if (bobOpen) await bob.context().close();
  }
});

/** An EventSource through a proxy that reads nothing but the stream (no pings, no POSTs) for `ms`. */
async function idle(base, ms) {
  const t = await (await fetch(`${gw.base}/dev/token?app=100&user=idle`)).json();
  const es = new EventSource(`${base}/sse?token=${t.token}`);
  const frames = [];
  let errors = 0;
  es.onmessage = (e) => frames.push(JSON.parse(e.data));
  es.onerror = () => { errors++; };
  try {
    const end = Date.now() + ms;
    while (Date.now() < end && errors === 0) await sleep(100);
    return { welcomes: frames.filter((f) => f.type === 'welcome').length, errors };
  } finally {
    es.close();
  }
}

test('an idle stream outlives the proxy read timeout thanks to heartbeat comments; without them it is cut', async () => {
  // 12 s with nothing but heartbeats: more than twice nginx's 5 s proxy_read_timeout
  assert.deepEqual(await idle(proxy.base, 12000), { welcomes: 1, errors: 0 });
  // the control: a proxy whose read timeout is under the heartbeat cuts the same stream
  const impatient = await new Nginx([gw.port], { readTimeout: '1s' }).start();
  try {
    const cut = await idle(impatient.base, 6000);
    assert.equal(cut.errors, 1, 'cut by the proxy');
    assert.match(impatient.errorLog(), /upstream timed out/);
  } finally {
    await impatient.close();
  }
});

test('a gateway restart behind the proxy: the page comes back on a stream, reloads and shows every message once', async () => {
  const page = await openPage(browser, `${proxy.base}/chat.html?user=rita&room=restart`);
  let release = () => {};
  try {
    await onStreams(page);
    await page.evaluate(() => { window.notReloaded = true; });
    for (const text of ['before 1', 'before 2']) await gw.publish('chat/room/restart', { text });
    await chatShows(page, ['before 1', 'before 2']);
    // hold the page's token requests while the gateway is away, so that the messages published right
    // after the restart are certainly published while the page is still reconnecting
    const gate = new Promise((resolve) => { release = resolve; });
    await page.route('**/dev/token**', async (route) => {
      await gate;
      await route.continue().catch(() => {});
    });
    const port = gw.port;
    await gw.stop(); // SIGTERM: the gateway drains, the stream ends with a close frame 1012
    await page.waitForFunction(() => window.demoState.status !== 'online', null, { timeout: 5000 });
    await gw.start();
    assert.equal(gw.port, port);
    const during = ['during 1', 'during 2', 'during 3'];
    for (const text of during) await gw.publish('chat/room/restart', { text });
    release();
    await page.unroute('**/dev/token**');
    await onStreams(page);
    await chatShows(page, during, 10000);
    await gw.publish('chat/room/restart', { text: 'after' });
    const all = ['before 1', 'before 2', ...during, 'after'];
    await chatShows(page, all);
    await sleep(500);
    const counts = await chatCounts(page, all);
    for (const [text, n] of Object.entries(counts)) assert.equal(n, 1, `"${text}" shown ${n} times`);
    assert.deepEqual((await chat(page)).map((m) => m.text), all, 'in order');
    assert.ok(await page.evaluate(() => window.demoState.recoveries) >= 1, 'recovered:false after the restart: reloaded');
    assert.equal(await page.evaluate(() => window.notReloaded), true, 'the same page, not a browser reload');
    assert.deepEqual(unexpectedErrors(page, BLOCKED), []);
  } finally {
    release();
    await page.context().close();
  }
});
