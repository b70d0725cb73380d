'use strict';
// The four demo pages in headless Chromium against a real gateway (target/apex-pulse.jar).
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Gateway, sleep } = require('../lib/gateway');
const { launch, openPage, screenshot } = require('../lib/browser');
const { online, chatShows, chatCounts, unexpectedErrors } = require('../lib/waits');

let gw;
let browser;
let jobs = null;      // the gateway's jobs, null without a scheduler
let orders = false;   // the demo orders table (/dev/orders) is there

// /dev/orders answers 404 where the embedded database is off: the pages say so and go on
const NO_DB = /\/dev\/orders/;

before(async () => {
  gw = await new Gateway({ name: 'pages' }).start();
  browser = await launch();
  jobs = await gw.jobs();
  orders = (await fetch(`${gw.base}/dev/orders?limit=1`)).status === 200;
});

after(async () => {
  if (browser) await browser.close().catch(() => {});
  if (gw) await gw.close();
});

const names = (list) => (list || []).map((j) => j.name);

test('the index links the four scenario pages, which load and connect without errors', async () => {
  const index = await openPage(browser, `${gw.base}/`);
  try {
    const links = await index.$$eval('main a', (as) => as.map((a) => a.getAttribute('href')));
    for (const p of ['dashboard.html', 'chat.html', 'counter.html', 'notifications.html']) assert.ok(links.includes(p), p);
    await screenshot(index, 'index');
    for (const p of ['dashboard.html', 'chat.html', 'counter.html', 'notifications.html']) {
      const page = await openPage(browser, `${gw.base}/${p}?user=visitor`);
      try {
        await online(page);
        assert.equal(await page.textContent('#user'), 'visitor');
        await sleep(300);
        assert.deepEqual(unexpectedErrors(page, [NO_DB]), [], p);
      } finally {
        await page.context().close();
      }
    }
    assert.deepEqual(unexpectedErrors(index), []);
  } finally {
    await index.context().close();
  }
});

test('the dashboard updates within a second of a publish; the pulse-message listener fires; users online from presence', async () => {
  const dash = await openPage(browser, `${gw.base}/dashboard.html?user=dana`);
  const other = await openPage(browser, `${gw.base}/chat.html?user=erik&room=dash`);
  try {
    await online(dash);
    await online(other);
    // users online: both pages are on site/online
    await dash.waitForFunction(() => (window.demoState.online || []).includes('erik') && (window.demoState.online || []).includes('dana'),
      null, { timeout: 5000 });
    assert.ok(Number(await dash.textContent('#P1_USERS_ONLINE')) >= 2);

    const data = {
      rows: [{ status: 'NEW', orders: 4000 }, { status: 'PAID', orders: 200 }, { status: 'SHIPPED', orders: 40 }, { status: 'DELIVERED', orders: 2 }],
      at: new Date().toISOString(),
      test: true, // not a job push
    };
    const publishedAt = Date.now();
    const offset = await gw.publish('dashboard/orders', data);
    await dash.waitForFunction((o) => (window.demoState.renders || []).some((r) => r.offset === o), offset, { timeout: 1000, polling: 10 });
    const render = await dash.evaluate((o) => window.demoState.renders.find((r) => r.offset === o), offset);
    const latency = render.renderedAt - publishedAt;
    assert.ok(latency < 1000, `rendered ${latency} ms after the publish`);
    assert.equal(render.total, 4242);
    assert.equal(render.open, 4240);

    // the Custom Event "pulse-message" (what an APEX Dynamic Action listens to) fired with the message
    const event = await dash.evaluate((o) => window.demoState.pulseEvents.find((e) => e.offset === o), offset);
    assert.ok(event, 'no pulse-message event for the publish');
    assert.deepEqual({ channel: event.channel, offset: event.offset, data: event.data }, { channel: 'dashboard/orders', offset, data });
    const feed = await dash.$$eval('#events li', (lis) => lis.map((li) => Number(li.dataset.offset)));
    assert.ok(feed.includes(offset));

    const last = await dash.evaluate(() => window.demoState.lastDashboard.offset);
    if (last === offset) { // no job push came in between
      assert.equal(await dash.textContent('#P1_TOTAL_ORDERS'), '4242');
      assert.equal(await dash.textContent('#P1_OPEN_ORDERS'), '4240');
      const bars = await dash.$$eval('#status-chart rect.bar', (rs) => rs.map((r) => [r.dataset.status, Number(r.getAttribute('height'))]));
      assert.deepEqual(bars.map((b) => b[0]), ['NEW', 'PAID', 'SHIPPED', 'DELIVERED']);
      assert.ok(bars[0][1] > bars[1][1] && bars[1][1] > bars[2][1], JSON.stringify(bars));
    }
    assert.ok(await dash.$('#trend polyline'));
    await sleep(900); // let the flash animation end
    await screenshot(dash, 'dashboard');
    assert.deepEqual(unexpectedErrors(dash, [NO_DB]), []);
  } finally {
    await dash.context().close();
    await other.context().close();
  }
});

test('the dashboard shows the last push at once on load: a cache channel, no trigger, no history request', async () => {
  const data = { rows: [{ status: 'NEW', orders: 7 }, { status: 'PAID', orders: 5 }], at: new Date().toISOString(), test: true };
  const published = await gw.publish('dashboard/orders', data);
  const received = [];
  const sent = [];
  const requests = [];
  const dash = await openPage(browser, `${gw.base}/dashboard.html?user=lena`, (page) => {
    page.on('request', (r) => requests.push(r.url()));
    page.on('websocket', (ws) => {
      ws.on('framereceived', (f) => received.push(String(f.payload)));
      ws.on('framesent', (f) => sent.push(String(f.payload)));
    });
  });
  try {
    await dash.waitForFunction(() => (window.demoState.renders || []).length > 0, null, { timeout: 10000 });
    const first = await dash.evaluate(() => window.demoState.renders[0]);
    const frames = received.filter((t) => t.startsWith('{')).map((t) => JSON.parse(t));
    const i = frames.findIndex((f) => f.type === 'subscribed' && f.channel === 'dashboard/orders');
    assert.ok(i >= 0, 'subscribed to dashboard/orders');
    const subscribed = frames[i];
    assert.equal(subscribed.cache, true);
    assert.ok(subscribed.offset >= published, `the channel is at ${subscribed.offset}, the test published ${published}`);
    // the very next frame is the channel's last message, and it is what the page drew first
    assert.deepEqual({ type: frames[i + 1].type, channel: frames[i + 1].channel, offset: frames[i + 1].offset },
      { type: 'message', channel: 'dashboard/orders', offset: subscribed.offset });
    assert.equal(first.offset, subscribed.offset);
    if (subscribed.offset === published) { // no job push came in between
      assert.equal(first.total, 12);
      assert.equal(await dash.textContent('#P1_TOTAL_ORDERS'), '12');
    }
    const out = sent.filter((t) => t.startsWith('{')).map((t) => JSON.parse(t).type);
    assert.ok(!out.includes('trigger') && !out.includes('history'), `frames sent: ${out}`);
    assert.deepEqual(requests.filter((u) => /\/api\/v1\//.test(u)), [], 'no HTTP API request (no history reload)');
    assert.deepEqual(unexpectedErrors(dash, [NO_DB]), []);
  } finally {
    await dash.context().close();
  }
});

test('the dashboard shows the counts the demo-orders job pushes', async (t) => {
  // known only once the gateway runs (before), so decided here rather than in the test's options
  if (!names(jobs).includes('demo-orders') || !orders) {
    t.skip('no demo-orders job or demo orders table (scheduled jobs and the embedded database come with the db branch)');
    return;
  }
  const dash = await openPage(browser, `${gw.base}/dashboard.html?user=dora`);
  try {
    await online(dash);
    // a push from the job: rows with lower-case column names and an "at" (the last value on load may be
    // another test's publish)
    await dash.waitForFunction(() => window.demoState.lastDashboard && window.demoState.lastDashboard.at
      && window.demoState.pulseEvents.some((e) => e.data && !e.data.test && e.data.rows && e.data.rows.length && 'orders' in e.data.rows[0]),
    null, { timeout: 7000 });
    const before = await dash.evaluate(() => window.demoState.lastDashboard);
    const r = await fetch(`${gw.base}/dev/orders`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"owner":"DORA"}' });
    assert.equal(r.status, 200);
    await dash.waitForFunction((b) => window.demoState.lastDashboard.offset > b.offset && window.demoState.lastDashboard.total === b.total + 1,
      before, { timeout: 7000 });
    await screenshot(dash, 'dashboard-job');
  } finally {
    await dash.context().close();
  }
});

test('the chat delivers between two browser pages and shows who is in the room', async () => {
  const alice = await openPage(browser, `${gw.base}/chat.html?user=alice&room=t1`);
  const bob = await openPage(browser, `${gw.base}/chat.html?user=bob&room=t1`);
  let bobOpen = true;
  try {
    await online(alice);
    await online(bob);
    const people = (page) => page.$$eval('#people li', (lis) => lis.map((li) => li.dataset.user).sort());
    await alice.waitForFunction(() => document.querySelectorAll('#people li').length === 2, null, { timeout: 5000 });
    await bob.waitForFunction(() => document.querySelectorAll('#people li').length === 2, null, { timeout: 5000 });
    assert.deepEqual(await people(alice), ['alice', 'bob']);
    assert.deepEqual(await people(bob), ['alice', 'bob']);
    assert.equal(await alice.textContent('#people-count'), '2');

    await alice.fill('#text', 'hello bob');
    await alice.click('#send');
    await chatShows(bob, ['hello bob'], 3000);
    await bob.fill('#text', 'hi alice <b>not bold</b>');
    await bob.press('#text', 'Enter');
    await chatShows(alice, ['hello bob', 'hi alice <b>not bold</b>'], 3000);
    await chatShows(bob, ['hi alice <b>not bold</b>'], 3000);
    for (const page of [alice, bob]) {
      assert.deepEqual(await chatCounts(page, ['hello bob', 'hi alice <b>not bold</b>']), { 'hello bob': 1, 'hi alice <b>not bold</b>': 1 });
      // shown as text, never as markup
      assert.equal(await page.$$eval('#messages b', (bs) => bs.length), 0);
    }
    const fromBob = await alice.$eval('#messages li[data-text^="hi alice"]', (li) => li.dataset.from);
    assert.equal(fromBob, 'bob');
    await screenshot(alice, 'chat-alice');
    await screenshot(bob, 'chat-bob');

    // bob leaves: alice's list follows the leave event
    await bob.context().close();
    bobOpen = false;
    await alice.waitForFunction(() => [...document.querySelectorAll('#people li')].map((li) => li.dataset.user).join() === 'alice',
      null, { timeout: 5000 });
    assert.deepEqual(unexpectedErrors(alice, [NO_DB]), []);
  } finally {
    await alice.context().close();
    if (bobOpen) await bob.context().close();
  }
});

test('the counter shows what the server pushes', async (t) => {
  const page = await openPage(browser, `${gw.base}/counter.html?user=carl`);
  try {
    await online(page);
    await page.waitForFunction(() => window.demoClient && window.demoClient.connected);
    await sleep(200); // the subscription is confirmed right after the welcome
    await gw.publish('demo/ticker', { tick: 9001, at: new Date().toISOString() });
    await page.waitForFunction(() => document.getElementById('P3_TICK').textContent === '9001', null, { timeout: 2000 });

    await t.test('ticks of the demo-ticker job, every second', { skip: !names(jobs).includes('demo-ticker') && 'no demo-ticker job (scheduled jobs come with the db branch)' }, async () => {
      await page.waitForFunction(() => window.demoState.ticks.filter((k) => k.tick !== 9001).length >= 3, null, { timeout: 5000 });
      const ticks = await page.evaluate(() => window.demoState.ticks.filter((k) => k.tick !== 9001));
      const last = ticks.slice(-3);
      assert.ok(last[1].tick === last[0].tick + 1 && last[2].tick === last[1].tick + 1, JSON.stringify(last));
      const gap = Date.parse(last[2].at) - Date.parse(last[1].at);
      assert.ok(gap >= 800 && gap <= 1500, `ticks ${gap} ms apart`);
    });
    await screenshot(page, 'counter');
    assert.deepEqual(unexpectedErrors(page, [NO_DB]), []);
  } finally {
    await page.context().close();
  }
});

test('notifications reach one user only', async (t) => {
  const dave = await openPage(browser, `${gw.base}/notifications.html?user=DAVE`);
  const erin = await openPage(browser, `${gw.base}/notifications.html?user=ERIN`);
  try {
    await online(dave);
    await online(erin);
    await sleep(200);
    await gw.publish('user/DAVE', { order: 77, status: 'SHIPPED' });
    await dave.waitForFunction(() => window.demoState.notifications.length === 1, null, { timeout: 2000 });
    assert.equal(await dave.textContent('#notifications li'), await dave.evaluate(() => document.querySelector('#notifications li').textContent));
    assert.match(await dave.textContent('#notifications li'), /^Order #77 is now SHIPPED/);
    // the page success message of pulse.apex.notifyOn
    await dave.waitForSelector('.toast.success', { timeout: 2000 });
    assert.equal(await dave.textContent('.toast.success'), 'Order #77 is now SHIPPED');
    await sleep(500);
    assert.equal(await erin.evaluate(() => window.demoState.notifications.length), 0);

    await t.test('an order status change in the database: trigger -> outbox -> user/DAVE', { skip: !orders && 'no demo orders table (the outbox and the embedded database come with the db branch)' }, async () => {
      await dave.waitForSelector('#orders-region:not(.hidden)');
      const rowsBefore = await dave.$$eval('#orders tr', (trs) => trs.length);
      await dave.click('#place');
      await dave.waitForFunction((n) => document.querySelectorAll('#orders tr').length === n + 1, rowsBefore, { timeout: 3000 });
      const id = await dave.$eval('#orders tr', (tr) => tr.dataset.order);
      const seen = await dave.evaluate(() => window.demoState.notifications.length);
      await dave.click(`button.advance[data-order="${id}"]`);
      await dave.waitForFunction((n) => window.demoState.notifications.length === n + 1, seen, { timeout: 5000 });
      const n = await dave.evaluate(() => window.demoState.notifications[window.demoState.notifications.length - 1]);
      assert.deepEqual(n.data, { order: Number(id), status: 'PAID' });
      // the region refresh (pulse.apex.refreshRegionOn) shows the new status
      await dave.waitForSelector(`#orders tr[data-order="${id}"] .status-pill[data-status="PAID"]`, { timeout: 3000 });
      await sleep(1000);
      assert.equal(await dave.evaluate(() => window.demoState.notifications.length), seen + 1, 'exactly one notification');
      assert.equal(await erin.evaluate(() => window.demoState.notifications.length), 0);
    });
    await screenshot(dave, 'notifications');
    assert.deepEqual(unexpectedErrors(dave, [NO_DB]), []);
  } finally {
    await dave.context().close();
    await erin.context().close();
  }
});
