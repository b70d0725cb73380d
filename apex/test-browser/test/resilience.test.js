'use strict';
// A page left open while the network drops, the token expires and the gateway restarts: it comes back
// by itself, shows every message exactly once, and reloads when the gateway lost its history.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Gateway, sleep } = require('../lib/gateway');
const { Proxy } = require('../lib/proxy');
const { launch, openPage, screenshot } = require('../lib/browser');
const { online, chat, chatShows, chatCounts, unexpectedErrors } = require('../lib/waits');

let gw;
let browser;

// while the network or the gateway is away the browser logs failed connections: expected here
const OUTAGE = [/WebSocket connection to/, /Failed to load resource/, /net::ERR_/, /Failed to fetch/];

before(async () => {
  gw = await new Gateway({ name: 'resilience' }).start();
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close().catch(() => {});
  if (gw) await gw.close();
});

function once(counts) {
  for (const [text, n] of Object.entries(counts)) assert.equal(n, 1, `"${text}" shown ${n} times`);
}

test('a network drop without a restart: the page reconnects and recovery brings every missed message once', async () => {
  const proxy = await new Proxy(gw.port).start();
  const page = await openPage(browser, `${proxy.base}/chat.html?user=nina&room=drop`);
  try {
    await online(page);
    await page.waitForFunction(() => document.querySelectorAll('#people li').length === 1);
    await gw.publish('chat/room/drop', { text: 'before the drop' });
    await chatShows(page, ['before the drop']);
    const welcomes = await page.evaluate(() => window.demoState.welcomes);

    proxy.cut();
    await page.waitForFunction(() => window.demoState.status !== 'online', null, { timeout: 5000 });
    const missed = ['missed 1', 'missed 2', 'missed 3'];
    for (const text of missed) await gw.publish('chat/room/drop', { text });
    await sleep(300);
    proxy.restore();

    await page.waitForFunction((w) => window.demoState.welcomes > w && window.demoState.status === 'online', welcomes, { timeout: 20000 });
    await chatShows(page, missed);
    await sleep(200);
    await gw.publish('chat/room/drop', { text: 'after the drop' });
    const all = ['before the drop', ...missed, 'after the drop'];
    await chatShows(page, all);
    await sleep(500);
    once(await chatCounts(page, all));
    assert.deepEqual((await chat(page)).map((m) => m.text), all, 'in channel order');
    // recovered: true: the gateway still had the messages, nothing to reload
    assert.equal(await page.evaluate(() => window.demoState.recoveries), 0);
    assert.equal(await page.isVisible('#notice'), false);
    await screenshot(page, 'chat-after-network-drop');
    assert.deepEqual(unexpectedErrors(page, OUTAGE), []);
  } finally {
    await page.context().close();
    await proxy.close();
  }
});

test('an expired token is refreshed through the tokenProvider and the page stays live', async () => {
  // /dev/token?ttl=3: the gateway (auth leeway 0 in these tests) closes the socket with 1008 when
  // the token expires; pulse.js asks its tokenProvider again with reason 'auth' and reconnects
  const page = await openPage(browser, `${gw.base}/chat.html?user=tina&room=ttl&ttl=3`);
  try {
    await online(page);
    await page.waitForFunction(() => window.demoState.tokenRequests.includes('auth'), null, { timeout: 10000 });
    await page.waitForFunction(() => window.demoState.status === 'online' && window.demoState.welcomes >= 2, null, { timeout: 10000 });
    const reasons = await page.evaluate(() => window.demoState.tokenRequests);
    assert.equal(reasons[0], 'initial');
    await gw.publish('chat/room/ttl', { text: 'after the refresh' });
    await chatShows(page, ['after the refresh'], 5000);
    once(await chatCounts(page, ['after the refresh']));
    assert.deepEqual(unexpectedErrors(page, OUTAGE), []);
  } finally {
    await page.context().close();
  }
});

test('a gateway restart: the page reconnects by itself, reloads (recovered:false) and shows every message once', async () => {
  const page = await openPage(browser, `${gw.base}/chat.html?user=rita&room=restart`);
  let release = () => {};
  try {
    await online(page);
    await page.evaluate(() => { window.notReloaded = true; });
    for (const text of ['before 1', 'before 2']) await gw.publish('chat/room/restart', { text });
    await chatShows(page, ['before 1', 'before 2']);

    // Hold the page's token requests while the gateway is away, so that messages published right
    // after the restart are certainly published while the page is still reconnecting.
    const gate = new Promise((resolve) => { release = resolve; });
    let held = 0;
    await page.route('**/dev/token**', async (route) => {
      held++;
      await gate;
      await route.continue().catch(() => {});
    });

    const firstPort = gw.port;
    await gw.stop(); // SIGTERM: the gateway drains, the page gets 1012
    await page.waitForFunction(() => window.demoState.status !== 'online', null, { timeout: 5000 });
    await gw.start();
    assert.equal(gw.port, firstPort);
    const during = ['during 1', 'during 2', 'during 3'];
    for (const text of during) await gw.publish('chat/room/restart', { text });
    await page.waitForFunction(() => window.demoState.status !== 'online');
    assert.ok(held >= 1, 'the page was asking for a token while the gateway was away');
    release();
    await page.unroute('**/dev/token**');

    await online(page, 20000);
    await chatShows(page, during, 10000);
    await sleep(200);
    await gw.publish('chat/room/restart', { text: 'after' });
    const all = ['before 1', 'before 2', ...during, 'after'];
    await chatShows(page, all);
    await sleep(500);
    once(await chatCounts(page, all));
    assert.deepEqual((await chat(page)).map((m) => m.text), all, 'in order: old epoch, then the new one');
    // the history was gone with the old gateway: recovered:false, the page reloaded the room
    assert.ok(await page.evaluate(() => window.demoState.recoveries) >= 1);
    assert.equal(await page.isVisible('#notice'), true);
    assert.equal(await page.evaluate(() => window.notReloaded), true, 'the same page, not a browser reload');
    await screenshot(page, 'chat-after-restart');
    assert.deepEqual(unexpectedErrors(page, OUTAGE), []);
  } finally {
    release();
    await page.context().close();
  }
});
