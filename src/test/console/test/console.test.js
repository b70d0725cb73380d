'use strict';
// The operator console in headless Chromium against real gateway processes: a 2-node Hazelcast cluster,
// test clients (pulse.js on `ws`) spread over both nodes through a load balancer, the console on b.
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startNodes, sleep, SECRET, API_KEY, ADMIN_KEY } = require('../lib/gateways');
const { TestClient, until } = require('../lib/clients');
const { Balancer } = require('../lib/balancer');
const { launch, openPage, screenshot, signIn, card } = require('../lib/browser');

const CHANNEL = 'dashboard/console-test';

describe('operator console', () => {
  let nodes;
  let lb;
  let browser;
  let page;
  let consoleNode;
  const clients = [];

  before(async () => {
    // not ready for 1 s before a drain closes sockets: the balancer stops sending clients there first
    nodes = await startNodes(2, { env: { PULSE_DRAIN_READINESS_DELAY_SECONDS: '1' } });
    // the console runs on b and drains a
    consoleNode = nodes[1];
    lb = await new Balancer(nodes).start();
    browser = await launch();
    console.log(`# 2-node Hazelcast cluster; console on ${consoleNode.base}`);
  });

  after(async () => {
    clients.forEach((c) => c.close());
    if (browser) await browser.close();
    if (lb) await lb.close();
    if (nodes) await Promise.all(nodes.map((n) => n.stop()));
  });

  /** Clients the console should count: every live one, on either node. */
  function visible() {
    return clients.filter((c) => !c.closed && c.node).length;
  }

  async function connect(n, user) {
    const fresh = [];
    for (let i = 0; i < n; i++) fresh.push(new TestClient(lb.wsUrl, `${user}-${i % 3}`, CHANNEL));
    clients.push(...fresh);
    await Promise.all(fresh.map((c) => c.ready()));
    return fresh;
  }

  /** Milliseconds until the page's connection count equals the expected one. */
  async function countShown(expected, timeout) {
    const t0 = Date.now();
    await until(`the page shows ${expected} connections`, async () => (await card(page, 'total-connections')) === expected, timeout, 25);
    return Date.now() - t0;
  }

  function assertNoSecrets(text, where) {
    for (const secret of [SECRET, API_KEY, ADMIN_KEY]) {
      assert.ok(!text.includes(secret), `${where} must not contain a secret`);
    }
    // the console's own session token is a JWT for the console's audience; any other JWT (an app token) is a leak
    for (const jwt of text.match(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}(\.[A-Za-z0-9_-]*)?/g) || []) {
      const claims = JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
      assert.equal(claims.aud, 'apex-pulse-console', `${where} must not contain a JWT other than the console session's`);
      assert.equal(claims.app, undefined, `${where}: a console token carries no app`);
    }
  }

  test('sign-in is refused with a wrong key or an app API key, and the page shows nothing', async () => {
    const p = await openPage(browser, `${consoleNode.base}/console`);
    assert.equal(await p.isVisible('#login'), true);
    assert.equal(await p.isHidden('#main'), true);
    for (const wrong of ['wrong-admin-key-0123456789-abcdef', API_KEY]) {
      await signIn(p, wrong);
      await p.waitForFunction(() => document.getElementById('login-error').textContent.length > 0, null, { timeout: 5000 });
      assert.match(await p.textContent('#login-error'), /Invalid admin key/);
      assert.equal(await p.isHidden('#main'), true);
      assert.equal(await p.evaluate(() => sessionStorage.length), 0);
      await p.evaluate(() => { document.getElementById('login-error').textContent = ''; });
    }
    assert.equal(await p.textContent('#total-connections'), '–', 'no data without a valid key');
    assert.ok(!p.requests.some((u) => u.includes('/ws')), 'no socket opened without a valid key');
    assert.ok(!p.requests.some((u) => u.includes(API_KEY) || u.includes('wrong-admin-key')), 'a key never travels in a URL');
    await screenshot(p, 'login-refused');
    assert.deepEqual(p.errors.filter((e) => !/401/.test(e)), []);
    await p.context().close();
  });

  test('shows the connections of the cluster and follows connects and disconnects within 2 s', async () => {
    page = await openPage(browser, `${consoleNode.base}/console`);
    await signIn(page, ADMIN_KEY, 'ops-alice');
    await page.waitForFunction(() => window.consoleState.status === 'live' && window.consoleState.ticks > 1, null, { timeout: 15000 });
    assert.equal(await card(page, 'total-nodes'), 2);
    assert.equal(await page.textContent('#operator'), 'ops-alice');

    await connect(6, 'user');
    const onA = clients.filter((c) => c.node === 'n-a').length;
    const onB = clients.filter((c) => c.node === 'n-b').length;
    assert.ok(onA > 0 && onB > 0, `the balancer spreads clients over both nodes (a: ${onA}, b: ${onB})`);
    await countShown(visible(), 5000);
    await until('per-node counts', async () =>
      (await page.textContent('tr[data-node="n-a"] td.connections')) === String(onA)
      && (await page.textContent('tr[data-node="n-b"] td.connections')) === String(onB), 5000);

    // three more clients: the count follows within 2 s
    await connect(3, 'late');
    const up = await countShown(visible(), 2000);
    // two leave
    const leaving = clients.filter((c) => !c.closed).slice(0, 2);
    leaving.forEach((c) => { c.close(); c.closed = true; });
    const down = await countShown(visible(), 2000);
    console.log(`# console followed a connect in ${up} ms and a disconnect in ${down} ms`);
    assert.ok(up < 2000 && down < 2000);

    const app = await page.textContent('#apps [data-app="100"] h3');
    assert.match(app, new RegExp(`^100 .*— ${visible()} connection`));
    // the app's channel options (conf/pulse.yaml: dashboard/** is a cache channel with deltas), then the defaults
    assert.match(await page.textContent('#apps [data-app="100"] tr[data-pattern="dashboard/**"]'), /cache.*deltas \(fossil\)/);
    assert.match(await page.textContent('#apps [data-app="100"] tr[data-pattern=""]'), /history 100 messages \/ 600 s/);
    const html = await page.content();
    assertNoSecrets(html, 'the page');
    assertNoSecrets(JSON.stringify(await page.evaluate(() => ({ ...sessionStorage }))), 'sessionStorage');
    assert.ok(!page.requests.some((u) => u.includes(ADMIN_KEY)), 'the admin key never travels in a URL');
    await screenshot(page, 'connections');
    assert.deepEqual(page.errors, []);
  });

  test('a publish burst moves the chart', async () => {
    const reader = new TestClient(lb.wsUrl, 'chart-reader', 'burst/chart');
    clients.push(reader);
    await reader.ready();
    const before = await page.evaluate(() => ({
      sum: Number(document.getElementById('chart').dataset.publishedSum),
      d: document.getElementById('line-published').getAttribute('d'),
    }));
    const messages = Array.from({ length: 500 }, (_, i) => ({ channel: 'burst/chart', data: { i } }));
    for (let round = 0; round < 3; round++) {
      const r = await consoleNode.request('POST', '/api/v1/apps/100/publish', { messages });
      assert.equal(r.status, 200, r.text);
    }
    await until('the chart counts the burst', async () =>
      Number(await page.getAttribute('#chart', 'data-published-sum')) >= before.sum + 1500, 6000);
    const after = await page.evaluate(() => ({
      d: document.getElementById('line-published').getAttribute('d'),
      max: Number(document.getElementById('chart').dataset.max),
    }));
    assert.notEqual(after.d, before.d, 'the published line moved');
    assert.ok(after.max >= 500, `the chart's peak (${after.max}/s) shows the burst`);
    await until('the reader got the burst (on whichever node)', () => reader.messages >= 1500, 10000);
    await page.waitForSelector('#apps [data-channel="burst/chart"]', { timeout: 5000 });
    await screenshot(page, 'chart');
  });

  test('drain node: its clients are closed with 1012 and reconnect to the other node', async () => {
    const drained = nodes[0];
    const survivor = nodes[1];
    const victims = clients.filter((c) => !c.closed && c.node === 'n-a');
    assert.ok(victims.length > 0, 'clients on the node to drain');
    const total = clients.filter((c) => !c.closed).length;

    await page.click('button.drain[data-node="n-a"]');
    await page.waitForSelector('#confirm[open]');
    assert.match(await page.textContent('#confirm-text'), /Drain node n-a/);
    await screenshot(page, 'drain-confirm');
    await page.click('#confirm-ok');

    await until('every client of n-a got 1012 and reconnected to n-b', () =>
      victims.every((c) => c.closes.includes(1012) && c.node === 'n-b'), 15000);
    const exit = await Promise.race([drained.exited, sleep(20000).then(() => null)]);
    assert.deepEqual(exit, { code: 0, signal: null }, 'the drained node exits like after SIGTERM');
    assert.equal(clients.filter((c) => !c.closed && c.node === 'n-b').length, total, 'all clients on n-b');

    // the console (on b) shows n-b alone, with every client
    await until('n-a gone from the console', async () => (await page.$('tr[data-node="n-a"]')) === null, 8000);
    await countShown(total, 5000);
    assert.equal(await page.textContent('tr[data-node="n-b"] td.connections'), String(total));
    assert.match(await page.textContent('#action-log'), /drain of n-a started/);
    await screenshot(page, 'drained');
    assert.ok(survivor.running);
  });
});
