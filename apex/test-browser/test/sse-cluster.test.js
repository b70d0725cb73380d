'use strict';
// Two clustered gateways behind nginx balancing round-robin, without stickiness, in a proxy that lets
// no WebSocket through: a page's event stream lives on one node while its POSTs land on either; the
// node that did not open the stream forwards them over the event bus. Then a drain: the stream ends with
// a close frame 1012 and pulse.js moves to the other node, missing nothing.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Gateway, freePort, sleep, mintToken } = require('../lib/gateway');
const { Nginx } = require('../lib/nginx');
const { launch, openPage, screenshot } = require('../lib/browser');
const { online, chat, chatShows, chatCounts, unexpectedErrors } = require('../lib/waits');

const SECRET = 'sse-cluster-secret-0123456789-0123456789';
const API_KEY = 'sse-cluster-api-key-0123456789';
const nodes = [];
let proxy;
let browser;

// the refused WebSocket handshakes, and the reconnects while a node drains, are logged by the browser
const EXPECTED = [/WebSocket connection to/, /Failed to load resource/, /net::ERR_/, /Failed to fetch/, /\/dev\/orders/];

async function metric(gw, name) {
  const text = await (await fetch(`${gw.base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
}

async function until(what, ms, fn) {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('not within ' + ms + ' ms: ' + what);
    await sleep(100);
  }
}

before(async () => {
  const hz = [await freePort(), await freePort()];
  const name = 'pulse-sse-' + Date.now().toString(36);
  for (let i = 0; i < 2; i++) {
    nodes.push(new Gateway({
      name: `sse-cluster-${i}`,
      env: {
        PULSE_APP_100_SECRET: SECRET,
        PULSE_APP_100_API_KEY: API_KEY,
        PULSE_DB_URL: '',
        PULSE_CLUSTER_ENABLED: 'true',
        PULSE_CLUSTER_NAME: name,
        PULSE_CLUSTER_PORT: String(hz[i]),
        PULSE_CLUSTER_PORT_COUNT: '1',
        PULSE_CLUSTER_MEMBERS: hz.map((p) => `127.0.0.1:${p}`).join(','),
        PULSE_CLUSTER_EVENT_BUS_HOST: '127.0.0.1',
      },
    }));
  }
  await nodes[0].start();
  await nodes[1].start();
  for (const gw of nodes) await until('2 cluster members', 30000, async () => (await metric(gw, 'pulse_cluster_members')) === 2);
  for (const gw of nodes) gw.node = (await (await fetch(`${gw.base}/health/ready`)).json()).node;
  proxy = await new Nginx(nodes.map((gw) => gw.port)).start();
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close().catch(() => {});
  if (proxy) await proxy.close();
  for (const gw of nodes) await gw.close();
});

/** A demo page through the proxy; its tokens are minted here (the nodes share a secret, /dev/token has none). */
async function page(path, user) {
  const p = await openPage(browser, 'about:blank');
  await p.route('**/dev/token**', (route) => route.fulfill({
    status: 200, contentType: 'application/json', body: JSON.stringify({ token: mintToken(SECRET, user), app: '100', user }),
  }));
  await p.goto(`${proxy.base}${path}`);
  await online(p, 20000);
  assert.equal(await p.evaluate(() => window.demoClient.transport), 'sse');
  return p;
}

const nodeOf = (id) => nodes.find((gw) => gw.node === id);
const portOf = (upstream) => Number(upstream.split(':').pop());

test('a page whose stream is on one node and whose POSTs land on the other subscribes, publishes and gets its replies', async () => {
  const alice = await page('/chat.html?user=alice&room=rr', 'alice');
  const bob = await page('/chat.html?user=bob&room=rr', 'bob');
  try {
    await alice.waitForFunction(() => document.querySelectorAll('#people li').length === 2, null, { timeout: 5000 });
    const { session, node } = await alice.evaluate(() => window.demoClient.welcome);
    const holder = nodeOf(node);
    const posts = () => proxy.requests().filter((r) => r.method === 'POST' && r.uri === `/sse/${session}`);
    const sent = [];
    // alice chats until nginx has sent one of her POSTs to the node that does not hold her stream
    for (let i = 0; i < 20 && !posts().some((r) => portOf(r.upstream) !== holder.port); i++) {
      const text = `hello ${i}`;
      await alice.fill('#text', text);
      await alice.click('#send');
      sent.push(text);
      await chatShows(alice, [text], 3000); // her own message, after the ack of her POST
    }
    const elsewhere = posts().filter((r) => portOf(r.upstream) !== holder.port);
    assert.ok(elsewhere.length >= 1, 'a POST went to the other node: ' + JSON.stringify(posts()));
    assert.ok(elsewhere.every((r) => r.status === 202));
    await chatShows(bob, sent, 5000);
    for (const p of [alice, bob]) {
      const counts = await chatCounts(p, sent);
      for (const [text, n] of Object.entries(counts)) assert.equal(n, 1, `"${text}" shown ${n} times`);
    }
    // a presence request (its reply travels back on the stream, whichever node took the POST)
    const count = await alice.evaluate(() => window.demoClient.presence('chat/room/rr').then((p) => p.count));
    assert.equal(count, 2);
    await screenshot(alice, 'chat-cluster-round-robin');
    assert.deepEqual(unexpectedErrors(alice, EXPECTED), []);
  } finally {
    await alice.context().close();
    await bob.context().close();
  }
});

test('a drain ends the stream with a close frame 1012 and pulse.js moves to the other node, missing nothing', async () => {
  const p = await page('/chat.html?user=dora&room=drain', 'dora');
  try {
    await p.evaluate(() => {
      window.closeCodes = [];
      window.demoClient.on('close', (e) => window.closeCodes.push(e.code));
    });
    const first = await p.evaluate(() => window.demoClient.welcome.node);
    const draining = nodeOf(first);
    const survivor = nodes.find((gw) => gw !== draining);
    await survivor.publish('chat/room/drain', { text: 'before' });
    await chatShows(p, ['before']);

    const stopped = draining.stop(); // SIGTERM: drain, 1012 to every stream, leave the cluster
    await p.waitForFunction(() => window.closeCodes.includes(1012), null, { timeout: 15000 });
    const during = ['during 1', 'during 2'];
    for (const text of during) await survivor.publish('chat/room/drain', { text });
    await p.waitForFunction((n) => window.demoState.status === 'online' && window.demoClient.welcome.node !== n, first, { timeout: 20000 });
    assert.equal(await p.evaluate(() => window.demoClient.welcome.node), survivor.node);
    assert.equal(await p.evaluate(() => window.demoClient.transport), 'sse');
    await stopped;
    await survivor.publish('chat/room/drain', { text: 'after' });
    const all = ['before', ...during, 'after'];
    await chatShows(p, all, 10000);
    await sleep(300);
    const counts = await chatCounts(p, all);
    for (const [text, n] of Object.entries(counts)) assert.equal(n, 1, `"${text}" shown ${n} times`);
    assert.deepEqual((await chat(p)).map((m) => m.text), all, 'in order');
    // the cluster kept the history: recovered, nothing to reload
    assert.equal(await p.evaluate(() => window.demoState.recoveries), 0);
    assert.deepEqual(unexpectedErrors(p, EXPECTED), []);
  } finally {
    await p.context().close();
  }
});
