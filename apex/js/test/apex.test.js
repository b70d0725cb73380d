'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { connected, flush } = require('./helpers');

/** A fake `apex` namespace recording what the helpers do. */
function fakeApex(opts) {
  const log = [];
  const apex = {
    log,
    region: (id) => (id === 'missing' ? null : { refresh: () => log.push(['refresh', id]) }),
    item: (name) => ({ setValue: (...args) => log.push(['setValue', name, ...args]) }),
    message: {
      showPageSuccess: (text) => log.push(['success', text]),
      showErrors: (errors) => log.push(['errors', errors]),
    },
    util: { escapeHTML: (s) => `esc(${s})` },
  };
  if (opts && opts.jquery) {
    const jq = (target) => ({
      trigger: (name, params) => log.push(['jq.trigger', target, name, params, jq.event.triggered]),
    });
    jq.event = { triggered: undefined };
    apex.jQuery = jq;
  }
  return apex;
}

/** Subscribe through a helper and confirm the subscription; returns a send(offset, data) function. */
async function live(t, channel) {
  const f = t.ws().lastJson('subscribe');
  assert.equal(f.channel, channel);
  t.ws().receive({ type: 'subscribed', id: f.id, channel, offset: 0, epoch: 'e', recovered: true });
  await flush();
  return (offset, data, from) => t.ws().receive({ type: 'message', channel, offset, data, from });
}

test('refreshRegionOn: a burst of messages refreshes once, after the debounce', async () => {
  const t = await connected();
  const apex = fakeApex();
  const h = t.pulse.apex.refreshRegionOn(t.client, 'orders', 'ORDERS_RGN', { apex });
  const send = await live(t, 'orders');
  send(1, {});
  await t.clock.tick(100);
  send(2, {});
  await t.clock.tick(100);
  send(3, {});
  await t.clock.tick(249);
  assert.deepEqual(apex.log, [], 'still within 250 ms of the last message');
  await t.clock.tick(1);
  assert.deepEqual(apex.log, [['refresh', 'ORDERS_RGN']]);
  send(4, {});
  await t.clock.tick(250);
  assert.equal(apex.log.length, 2, 'a later message refreshes again');
  h.unsubscribe();
  assert.equal(t.ws().lastJson('unsubscribe').channel, 'orders');
  t.client.close();
});

test('refreshRegionOn: a steady stream still refreshes every maxWait; custom debounce', async () => {
  const t = await connected();
  const apex = fakeApex();
  t.pulse.apex.refreshRegionOn(t.client, 'ticks', 'R', { apex, debounce: 100, maxWait: 500 });
  const send = await live(t, 'ticks');
  for (let i = 1; i <= 20; i++) { // one message every 50 ms for 1 s
    send(i, i);
    await t.clock.tick(50);
  }
  await t.clock.tick(100);
  const n = apex.log.length;
  assert.ok(n >= 2 && n <= 3, `refreshed ${n} times`);
  t.client.close();
});

test('refreshRegionOn: refreshes when history could not be recovered; unsubscribe cancels a pending refresh', async () => {
  const t = await connected();
  const apex = fakeApex();
  const h = t.pulse.apex.refreshRegionOn(t.client, 'c', 'R', { apex });
  const send = await live(t, 'c');
  send(1, {});
  t.ws().serverClose(1006);
  await t.clock.tick(t.eventsOf('reconnecting').pop().delay); // also flushes the pending refresh
  apex.log.length = 0;
  t.ws().accept();
  const sub = t.ws().lastJson('subscribe');
  t.ws().receive({ type: 'subscribed', id: sub.id, channel: 'c', offset: 9, epoch: 'e2', recovered: false });
  await t.clock.tick(250);
  assert.deepEqual(apex.log, [['refresh', 'R']]);
  send(10, {});
  h.unsubscribe();
  await t.clock.tick(1000);
  assert.equal(apex.log.length, 1);
  t.client.close();
});

test('refreshRegionOn: a missing region is ignored', async () => {
  const t = await connected();
  const apex = fakeApex();
  t.pulse.apex.refreshRegionOn(t.client, 'c', 'missing', { apex });
  const send = await live(t, 'c');
  send(1, {});
  await t.clock.tick(300);
  assert.deepEqual(apex.log, []);
  t.client.close();
});

test('setItemsOn: sets items from field paths and functions, skips missing fields', async () => {
  const t = await connected();
  const apex = fakeApex();
  t.pulse.apex.setItemsOn(t.client, 'stats', {
    P1_TOTAL: 'order.total',
    P1_FIRST: 'rows.0.name',
    P1_NOTE: 'note',
    P1_ALL: '$',
    P1_FROM: (data, meta) => meta.from,
  }, { apex });
  const send = await live(t, 'stats');
  send(1, { order: { total: 0 }, rows: [{ name: 'A' }], note: null }, 'scott');
  assert.deepEqual(apex.log, [
    ['setValue', 'P1_TOTAL', 0],
    ['setValue', 'P1_FIRST', 'A'],
    ['setValue', 'P1_NOTE', ''],
    ['setValue', 'P1_ALL', { order: { total: 0 }, rows: [{ name: 'A' }], note: null }],
    ['setValue', 'P1_FROM', 'scott'],
  ]);
  apex.log.length = 0;
  send(2, { other: 1 }); // no mapped field except the whole value
  assert.deepEqual(apex.log.map((l) => l[1]), ['P1_ALL']);
  t.client.close();
});

test('setItemsOn: suppressChangeEvent is passed to setValue', async () => {
  const t = await connected();
  const apex = fakeApex();
  t.pulse.apex.setItemsOn(t.client, 's', { P1_X: 'x' }, { apex, suppressChangeEvent: true });
  const send = await live(t, 's');
  send(1, { x: 5 });
  assert.deepEqual(apex.log, [['setValue', 'P1_X', 5, undefined, true]]);
  t.client.close();
});

test('notifyOn: success messages are escaped; errors go through showErrors', async () => {
  const t = await connected();
  const apex = fakeApex();
  t.pulse.apex.notifyOn(t.client, 'ok', { apex, type: 'success', text: (d) => `Order ${d.id} <b>saved</b>` });
  t.pulse.apex.notifyOn(t.client, 'bad', { apex, type: 'error', text: 'problem.reason' });
  t.pulse.apex.notifyOn(t.client, 'plain', { apex });
  const subs = t.ws().json().filter((f) => f.type === 'subscribe');
  for (const f of subs) t.ws().receive({ type: 'subscribed', id: f.id, channel: f.channel, offset: 0, epoch: 'e', recovered: true });
  const msg = (channel, offset, data) => t.ws().receive({ type: 'message', channel, offset, data });
  msg('ok', 1, { id: 7 });
  msg('bad', 1, { problem: { reason: 'Stock <low>' } });
  msg('bad', 2, { nothing: true }); // no text: nothing shown
  msg('plain', 1, 'hello');
  msg('plain', 2, { message: 'from field' });
  assert.deepEqual(apex.log, [
    ['success', 'esc(Order 7 <b>saved</b>)'],
    ['errors', [{ type: 'error', location: 'page', message: 'Stock <low>', unsafe: false }]],
    ['success', 'esc(hello)'],
    ['success', 'esc(from field)'],
  ]);
  t.client.close();
});

test('notifyOn: built-in escaping when apex.util is missing', async () => {
  const t = await connected();
  const apex = fakeApex();
  delete apex.util;
  t.pulse.apex.notifyOn(t.client, 'n', { apex });
  const send = await live(t, 'n');
  send(1, `<img src=x onerror="alert('x')">&`);
  assert.deepEqual(apex.log, [['success', '&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;']]);
  t.client.close();
});

test('eventsOn: DOM CustomEvent with detail, plus a jQuery trigger for Dynamic Actions', async () => {
  const t = await connected();
  const apex = fakeApex({ jquery: true });
  const target = new EventTarget();
  const domEvents = [];
  target.addEventListener('pulse-message', (e) => domEvents.push({ detail: e.detail, guard: apex.jQuery.event.triggered }));
  t.pulse.apex.eventsOn(t.client, 'chat/1', target, { apex });
  const send = await live(t, 'chat/1');
  send(5, { text: 'hi' }, 'scott');
  const detail = { channel: 'chat/1', offset: 5, data: { text: 'hi' }, from: 'scott' };
  // While the native event is dispatched, jQuery's own guard is set so jQuery-bound handlers
  // skip it and run only once (for the trigger below).
  assert.deepEqual(domEvents, [{ detail, guard: 'pulse-message' }]);
  assert.deepEqual(apex.log, [['jq.trigger', target, 'pulse-message', [detail], undefined]]);
  assert.equal(apex.jQuery.event.triggered, undefined, 'guard restored');
  t.client.close();
});

test('eventsOn without apex still dispatches the DOM event; default target is document', async () => {
  const t = await connected();
  const target = new EventTarget();
  const seen = [];
  target.addEventListener('pulse-message', (e) => seen.push(e.detail.offset));
  t.pulse.apex.eventsOn(t.client, 'c', target);
  const send = await live(t, 'c');
  send(1, 'x');
  assert.deepEqual(seen, [1]);

  globalThis.document = new EventTarget();
  try {
    const docSeen = [];
    globalThis.document.addEventListener('pulse-message', (e) => docSeen.push(e.detail.data));
    t.pulse.apex.eventsOn(t.client, 'd', undefined);
    const sendD = await live(t, 'd');
    sendD(1, 'to document');
    assert.deepEqual(docSeen, ['to document']);
  } finally {
    delete globalThis.document;
  }
  t.client.close();
});

test('helpers use window.apex by default and are no-ops without it', async () => {
  const t = await connected();
  assert.equal(globalThis.apex, undefined);
  for (const h of [
    t.pulse.apex.refreshRegionOn(t.client, 'a', 'R'),
    t.pulse.apex.setItemsOn(t.client, 'b', { P1_X: 'x' }),
    t.pulse.apex.notifyOn(t.client, 'c', { text: 'x' }),
  ]) {
    assert.equal(await h.ready, null);
    await h.unsubscribe();
  }
  assert.equal(t.ws().sent.length, 0, 'nothing subscribed');

  const apex = fakeApex();
  globalThis.apex = apex;
  try {
    t.pulse.apex.refreshRegionOn(t.client, 'g', 'GLOBAL', { debounce: 0 });
    const send = await live(t, 'g');
    send(1, {});
    await t.clock.tick(0);
    assert.deepEqual(apex.log, [['refresh', 'GLOBAL']]);
  } finally {
    delete globalThis.apex;
  }
  t.client.close();
});
