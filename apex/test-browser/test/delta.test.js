'use strict';
// Delta compression in headless Chromium: the demo dashboard, whose channel sends deltas in the demo
// configuration (dashboard/**: delta: fossil), gets the first push in full and every later one as a Fossil delta, and shows
// exactly the published data each time; the frames on the wire are a fraction of the full ones.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Gateway, sleep } = require('../lib/gateway');
const { launch, screenshot } = require('../lib/browser');
const { online, unexpectedErrors } = require('../lib/waits');

let gw;
let browser;

before(async () => {
  // the demo configuration (conf/pulse.yaml) sends deltas on dashboard/**; no database, so no demo
  // job pushes to dashboard/orders in between
  gw = await new Gateway({ name: 'delta', env: { PULSE_DB_URL: '' } }).start();
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close().catch(() => {});
  if (gw) await gw.close();
});

const STATUSES = ['NEW', 'PAID', 'SHIPPED', 'DELIVERED'];

/** A dashboard push of about 5 KB: 60 rows by status and department, numbers from a fixed sequence. */
function dashboard() {
  let x = 7;
  const next = (n) => { x = (x * 1103515245 + 12345) % 2147483648; return x % n; };
  const rows = [];
  for (let i = 0; i < 60; i++) {
    rows.push({ status: STATUSES[i % 4], department: `Department ${i} · Zürich`, orders: next(500), late: next(20) });
  }
  return { rows, at: '2026-12-04T10:00:00.000Z', note: 'counts per department and status, refreshed every few seconds' };
}

const total = (d) => d.rows.reduce((a, r) => a + r.orders, 0);
const open = (d) => d.rows.filter((r) => r.status !== 'DELIVERED').reduce((a, r) => a + r.orders, 0);

test('a dashboard receiving deltas shows exactly the published data after every push', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') page.errors.push(`console: ${m.text()} (${(m.location() && m.location().url) || ''})`);
  });
  const frames = []; // message frames of dashboard/orders as they came over the wire
  page.on('websocket', (ws) => ws.on('framereceived', (f) => {
    if (typeof f.payload === 'string' && f.payload.startsWith('{"type":"message","channel":"dashboard/orders"')) frames.push(f.payload);
  }));
  try {
    await page.goto(`${gw.base}/dashboard.html?user=delta`);
    await online(page);
    await page.waitForFunction(() => window.demoState.status === 'online');
    let d = dashboard();
    const published = [];
    for (let i = 0; i < 20; i++) {
      if (i > 0) {
        d = JSON.parse(JSON.stringify(d));
        d.rows[(i * 7) % 60].orders += 1 + i; // one number changed per push
      }
      const offset = await gw.publish('dashboard/orders', d);
      published.push({ offset, data: d });
      await page.waitForFunction((o) => (window.demoState.renders || []).some((r) => r.offset === o), offset, { timeout: 5000 });
      const render = await page.evaluate((o) => window.demoState.renders.find((r) => r.offset === o), offset);
      assert.equal(render.total, total(d), `push ${i}: total`);
      assert.equal(render.open, open(d), `push ${i}: open orders`);
    }
    // what the page's pulse-message listener (an APEX Dynamic Action) got: the published data, in full
    const events = await page.evaluate(() => window.demoState.pulseEvents.filter((e) => e.channel === 'dashboard/orders'));
    for (const p of published) {
      assert.deepEqual(events.find((e) => e.offset === p.offset).data, p.data, `offset ${p.offset}`);
    }
    assert.equal(await page.textContent('#P1_TOTAL_ORDERS'), String(total(d)));

    const full = frames.filter((f) => JSON.parse(f).data !== undefined);
    const deltas = frames.filter((f) => JSON.parse(f).delta !== undefined);
    assert.equal(full.length, 1, 'only the first push in full');
    assert.equal(deltas.length, 19);
    const bytes = (f) => Buffer.byteLength(f);
    const average = deltas.reduce((a, f) => a + bytes(f), 0) / deltas.length;
    assert.ok(bytes(full[0]) > 4000, `a full push is ${bytes(full[0])} bytes`);
    assert.ok(average < bytes(full[0]) / 10, `a delta is ${average} bytes on average, the full push ${bytes(full[0])}`);
    await sleep(900); // let the flash animation end
    await screenshot(page, 'dashboard-delta');
    assert.deepEqual(unexpectedErrors(page, [/\/dev\/orders/]), []);
  } finally {
    await context.close();
  }
});
