'use strict';
// Issue 17 in the client: a cache channel's last value, ephemeral channels (no offsets), history over
// the socket, and idempotency keys on publish.
const test = require('node:test');
const assert = require('node:assert/strict');
const { connected, flush } = require('./helpers');

test('a cache channel: the message after subscribed reaches the page, and a listener added later gets it too', async () => {
  const t = await connected();
  const first = [];
  const h = t.client.subscribe('dashboard/orders', (data, meta) => first.push({ data, meta }));
  const f = t.ws().lastJson('subscribe');
  assert.equal(f.since, undefined);
  t.ws().receive({ type: 'subscribed', id: f.id, channel: 'dashboard/orders', offset: 7, epoch: 'e1', recovered: true, cache: true });
  t.ws().receive({ type: 'message', channel: 'dashboard/orders', offset: 7, data: { total: 3 } });
  await h.ready;
  assert.deepEqual(first, [{ data: { total: 3 }, meta: { channel: 'dashboard/orders', offset: 7, from: undefined } }]);
  const later = [];
  t.client.subscribe('dashboard/orders', (data, meta) => later.push({ data, meta }));
  assert.deepEqual(later, [{ data: { total: 3 }, meta: { channel: 'dashboard/orders', offset: 7, from: undefined } }]);
  assert.equal(t.ws().json().filter((x) => x.type === 'subscribe').length, 1, 'no second subscribe frame');
  assert.equal(first.length, 1, 'the first listener does not get it again');
  // after a reconnect the client resumes from the last value: the server has nothing to resend
  t.ws().serverClose(1006);
  await t.clock.tick(t.eventsOf('reconnecting').pop().delay);
  t.ws().accept();
  await flush();
  assert.deepEqual(t.ws().lastJson('subscribe').since, { offset: 7, epoch: 'e1' });
  t.client.close();
});

test('a plain channel does not replay its last message to a later listener', async () => {
  const t = await connected();
  t.client.subscribe('news', () => {});
  const f = t.ws().lastJson('subscribe');
  t.ws().receive({ type: 'subscribed', id: f.id, channel: 'news', offset: 1, epoch: 'e', recovered: true });
  t.ws().receive({ type: 'message', channel: 'news', offset: 2, data: 'x' });
  const later = [];
  t.client.subscribe('news', (d) => later.push(d));
  assert.deepEqual(later, []);
  t.client.close();
});

test('an ephemeral channel: messages without offsets are all delivered, and no since after a reconnect', async () => {
  const t = await connected();
  const got = [];
  t.client.subscribe('typing/room/1', (data, meta) => got.push([data, meta.offset]));
  const f = t.ws().lastJson('subscribe');
  t.ws().receive({ type: 'subscribed', id: f.id, channel: 'typing/room/1', recovered: true, ephemeral: true });
  t.ws().receive({ type: 'message', channel: 'typing/room/1', data: 'a', from: 'x' });
  t.ws().receive({ type: 'message', channel: 'typing/room/1', data: 'a', from: 'x' });
  // binary frames of an ephemeral channel carry offset 0: none
  t.ws().receive(t.pulse._internal.encodeBinary('typing/room/1', 0, new Uint8Array([1])));
  t.ws().receive(t.pulse._internal.encodeBinary('typing/room/1', 0, new Uint8Array([2])));
  assert.equal(got.length, 4);
  assert.deepEqual(got.map((g) => g[1]), [undefined, undefined, undefined, undefined]);
  t.ws().serverClose(1006);
  await t.clock.tick(t.eventsOf('reconnecting').pop().delay);
  t.ws().accept();
  await flush();
  assert.equal(t.ws().lastJson('subscribe').since, undefined);
  t.client.close();
});

test('history(channel, opts) sends the history frame and resolves with the messages, binary ones as ArrayBuffer', async () => {
  const t = await connected();
  const p = t.client.history('/chat/room/7', { limit: 2, since: { offset: 3, epoch: 'e1' }, reverse: true });
  const f = t.ws().lastJson('history');
  assert.deepEqual(f, { type: 'history', channel: 'chat/room/7', limit: 2, since: { offset: 3, epoch: 'e1' }, reverse: true, id: f.id });
  t.ws().receive({ type: 'history', id: f.id, channel: 'chat/room/7', epoch: 'e1', offset: 5, recovered: true,
    messages: [{ offset: 5, data: { t: 'b' }, from: 'scott' }, { offset: 4, binary: true, data: 'AAH/' }] });
  const h = await p;
  assert.equal(h.channel, 'chat/room/7');
  assert.equal(h.epoch, 'e1');
  assert.equal(h.offset, 5);
  assert.equal(h.recovered, true);
  assert.deepEqual(h.messages[0], { offset: 5, data: { t: 'b' }, from: 'scott' });
  assert.equal(h.messages[1].binary, true);
  assert.ok(h.messages[1].data instanceof ArrayBuffer);
  assert.deepEqual([...new Uint8Array(h.messages[1].data)], [0, 1, 255]);

  const plain = t.client.history('news');
  const pf = t.ws().lastJson('history');
  assert.deepEqual(pf, { type: 'history', channel: 'news', id: pf.id });
  t.ws().receive({ type: 'error', id: pf.id, code: 'forbidden', message: 'not allowed to read the history of news' });
  await assert.rejects(plain, { code: 'forbidden' });
  await assert.rejects(t.client.history(''), TypeError);
  t.client.close();
});

test('publish with an idempotencyKey puts it in the frame; bad keys and binary with a key are refused before sending', async () => {
  const t = await connected();
  const p = t.client.publish('orders/7', { s: 'paid' }, { idempotencyKey: 'order-7-paid' });
  const f = t.ws().lastJson('publish');
  assert.deepEqual(f, { type: 'publish', id: f.id, channel: 'orders/7', data: { s: 'paid' }, idempotencyKey: 'order-7-paid' });
  t.ws().receive({ type: 'ack', id: f.id, offset: 12 });
  assert.deepEqual(await p, { offset: 12 });
  const sent = t.ws().sent.length;
  await assert.rejects(t.client.publish('c', 1, { idempotencyKey: 'x'.repeat(65) }), TypeError);
  await assert.rejects(t.client.publish('c', 1, { idempotencyKey: '' }), TypeError);
  await assert.rejects(t.client.publish('c', new Uint8Array([1]), { idempotencyKey: 'k' }), TypeError);
  assert.equal(t.ws().sent.length, sent);
  // an ephemeral channel's ack has no offset
  const e = t.client.publish('typing/x', 1);
  t.ws().receive({ type: 'ack', id: t.ws().lastJson('publish').id });
  assert.deepEqual(await e, { offset: undefined });
  t.client.close();
});
