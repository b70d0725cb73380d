'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { setup, connected, flush } = require('./helpers');

/** Subscribe and answer the subscribe with `reply` fields; returns {handle, got, frame}. */
async function subscribed(t, channel, reply, opts) {
  const got = [];
  const handle = t.client.subscribe(channel, (data, meta) => got.push({ data, meta }), opts);
  const frame = t.ws().lastJson('subscribe');
  t.ws().receive(Object.assign({ type: 'subscribed', id: frame.id, channel: frame.channel, offset: 0, epoch: 'e1', recovered: true }, reply || {}));
  await flush();
  return { handle, got, frame };
}

/** Drop the socket, let the client reconnect and accept the new one. */
async function reconnect(t, code) {
  t.ws().serverClose(code || 1006);
  await t.clock.tick(t.eventsOf('reconnecting').pop().delay);
  t.ws().accept();
  await flush();
}

test('subscribe sends a frame, ready resolves with the subscribed reply, messages reach onMessage', async () => {
  const t = await connected();
  const got = [];
  const onSubscribed = [];
  const h = t.client.subscribe('/dashboard/department/3', (data, meta) => got.push({ data, meta }), {
    onSubscribed: (r) => onSubscribed.push(r),
  });
  assert.equal(h.channel, 'dashboard/department/3', 'leading slash dropped');
  const frame = t.ws().lastJson('subscribe');
  assert.deepEqual(frame, { type: 'subscribe', id: frame.id, channel: 'dashboard/department/3', delta: true });
  const reply = { type: 'subscribed', id: frame.id, channel: 'dashboard/department/3', offset: 41, epoch: 'k3f9', recovered: true };
  t.ws().receive(reply);
  assert.deepEqual(await h.ready, reply);
  assert.deepEqual(onSubscribed, [reply]);
  t.ws().receive({ type: 'message', channel: 'dashboard/department/3', offset: 42, data: { n: 1 }, from: 'scott' });
  assert.deepEqual(got, [{ data: { n: 1 }, meta: { channel: 'dashboard/department/3', offset: 42, from: 'scott' } }]);
  t.client.close();
});

test('subscribe while disconnected is queued and sent after the welcome', async () => {
  const t = setup();
  const h = t.client.subscribe('a/b', () => {});
  await flush();
  assert.equal(t.ws().sent.length, 0);
  t.ws().accept();
  const f = t.ws().lastJson('subscribe');
  assert.equal(f.channel, 'a/b');
  assert.equal(f.since, undefined);
  t.ws().receive({ type: 'subscribed', id: f.id, channel: 'a/b', offset: 0, epoch: 'e', recovered: true });
  assert.equal((await h.ready).channel, 'a/b');
  t.client.close();
});

test('after a reconnect every channel is resubscribed with since = last delivered offset and epoch', async () => {
  const t = await connected();
  const a = await subscribed(t, 'chat/room/7', { offset: 40, epoch: 'k3f9' });
  const b = await subscribed(t, 'news', { offset: 5, epoch: 'x1' });
  t.ws().receive({ type: 'message', channel: 'chat/room/7', offset: 41, data: 'm41' });
  await reconnect(t);
  const subs = t.ws().json().filter((f) => f.type === 'subscribe');
  assert.deepEqual(subs.map((f) => [f.channel, f.since]), [
    ['chat/room/7', { offset: 41, epoch: 'k3f9' }],
    ['news', { offset: 5, epoch: 'x1' }], // nothing delivered: resume from the subscribed offset
  ]);
  assert.ok(subs[0].id > a.frame.id && subs[1].id > b.frame.id, 'ids keep increasing across connections');
  t.client.close();
});

test('dedupe: replayed and duplicate offsets are delivered once, in order', async () => {
  const t = await connected();
  const s = await subscribed(t, 'c', { offset: 10, epoch: 'e1' });
  const send = (offset) => t.ws().receive({ type: 'message', channel: 'c', offset, data: offset });
  send(11);
  send(12);
  send(12); // duplicate
  await reconnect(t);
  const sub = t.ws().lastJson('subscribe');
  assert.deepEqual(sub.since, { offset: 12, epoch: 'e1' });
  t.ws().receive({ type: 'subscribed', id: sub.id, channel: 'c', offset: 14, epoch: 'e1', recovered: true });
  // The server replays from an older point than asked (overlap), then goes live.
  [11, 12, 13, 14, 13, 15].forEach(send);
  assert.deepEqual(s.got.map((g) => g.data), [11, 12, 13, 14, 15]);
  t.client.close();
});

test('a recovered:true reply does not move the resume point past the replay', async () => {
  const t = await connected();
  const s = await subscribed(t, 'c', { offset: 3, epoch: 'e1' });
  t.ws().receive({ type: 'message', channel: 'c', offset: 4, data: 4 });
  await reconnect(t);
  const sub = t.ws().lastJson('subscribe');
  // Head is 9: messages 5..9 are about to be replayed and must not be taken as duplicates.
  t.ws().receive({ type: 'subscribed', id: sub.id, channel: 'c', offset: 9, epoch: 'e1', recovered: true });
  await reconnect(t); // lost again before the replay arrived
  assert.deepEqual(t.ws().lastJson('subscribe').since, { offset: 4, epoch: 'e1' });
  t.ws().receive({ type: 'message', channel: 'c', offset: 5, data: 5 });
  assert.deepEqual(s.got.map((g) => g.data), [4, 5]);
  t.client.close();
});

test('recovered:false: onRecovery and the recovery event fire, offsets start over', async () => {
  const t = await connected();
  const recoveries = [];
  const s = await subscribed(t, 'orders', { offset: 100, epoch: 'old' }, { onRecovery: (r) => recoveries.push(r) });
  t.ws().receive({ type: 'message', channel: 'orders', offset: 101, data: 'a' });
  await reconnect(t);
  const sub = t.ws().lastJson('subscribe');
  assert.deepEqual(sub.since, { offset: 101, epoch: 'old' });
  t.ws().receive({ type: 'subscribed', id: sub.id, channel: 'orders', offset: 3, epoch: 'new', recovered: false });
  await flush();
  assert.deepEqual(recoveries, [{ recovered: false, channel: 'orders', epoch: 'new', offset: 3 }]);
  assert.deepEqual(t.eventsOf('recovery'), recoveries);
  // New epoch, lower offsets: delivered, not dropped as duplicates.
  t.ws().receive({ type: 'message', channel: 'orders', offset: 4, data: 'b' });
  assert.deepEqual(s.got.map((g) => g.data), ['a', 'b']);
  await reconnect(t);
  assert.deepEqual(t.ws().lastJson('subscribe').since, { offset: 4, epoch: 'new' });
  t.client.close();
});

test('epoch change with recovered:true also resets the dedupe offset', async () => {
  const t = await connected();
  const s = await subscribed(t, 'c', { offset: 50, epoch: 'e1' });
  t.ws().receive({ type: 'message', channel: 'c', offset: 51, data: 51 });
  await reconnect(t);
  const sub = t.ws().lastJson('subscribe');
  t.ws().receive({ type: 'subscribed', id: sub.id, channel: 'c', offset: 0, epoch: 'e2', recovered: true });
  t.ws().receive({ type: 'message', channel: 'c', offset: 1, data: 1 });
  assert.deepEqual(s.got.map((g) => g.data), [51, 1]);
  t.client.close();
});

test('an epoch on a message frame resets the dedupe offset too', async () => {
  const t = await connected();
  const s = await subscribed(t, 'c', { offset: 50, epoch: 'e1' });
  t.ws().receive({ type: 'message', channel: 'c', offset: 51, data: 51, epoch: 'e1' });
  t.ws().receive({ type: 'message', channel: 'c', offset: 2, data: 2, epoch: 'e2' });
  t.ws().receive({ type: 'message', channel: 'c', offset: 2, data: 'dup', epoch: 'e2' });
  assert.deepEqual(s.got.map((g) => g.data), [51, 2]);
  t.client.close();
});

test('recovery_failed error on a resubscribe: reported, then subscribed afresh without since', async () => {
  const t = await connected();
  const recoveries = [];
  const s = await subscribed(t, 'c', { offset: 7, epoch: 'e1' }, { onRecovery: (r) => recoveries.push(r) });
  await reconnect(t);
  const sub = t.ws().lastJson('subscribe');
  assert.ok(sub.since);
  t.ws().receive({ type: 'error', id: sub.id, code: 'recovery_failed', message: 'history gone' });
  assert.equal(recoveries.length, 1);
  assert.equal(recoveries[0].recovered, false);
  const fresh = t.ws().lastJson('subscribe');
  assert.notEqual(fresh.id, sub.id);
  assert.equal(fresh.since, undefined);
  t.ws().receive({ type: 'subscribed', id: fresh.id, channel: 'c', offset: 0, epoch: 'e2', recovered: true });
  t.ws().receive({ type: 'message', channel: 'c', offset: 1, data: 1 });
  assert.deepEqual(s.got.map((g) => g.data), [1]);
  t.client.close();
});

test('a refused subscribe rejects ready with the error code and is not retried', async () => {
  const t = await connected();
  const errors = [];
  const h = t.client.subscribe('secret', () => {}, { onError: (e) => errors.push(e.code) });
  const f = t.ws().lastJson('subscribe');
  t.ws().receive({ type: 'error', id: f.id, code: 'forbidden', message: 'not allowed to subscribe to secret' });
  await assert.rejects(h.ready, (e) => e.code === 'forbidden' && /not allowed/.test(e.message));
  assert.deepEqual(errors, ['forbidden']);
  assert.equal(t.eventsOf('error').length, 0, 'reported through ready, not as a connection error');
  await reconnect(t);
  assert.equal(t.ws().json().filter((x) => x.type === 'subscribe').length, 0);
  t.client.close();
});

test('a subscription refused on resubscribe (grants changed) emits an error event', async () => {
  const t = await connected();
  await subscribed(t, 'c');
  await reconnect(t);
  const sub = t.ws().lastJson('subscribe');
  t.ws().receive({ type: 'error', id: sub.id, code: 'forbidden', message: 'no' });
  assert.equal(t.eventsOf('error')[0].code, 'forbidden');
  t.client.close();
});

test('a transient error on resubscribe is retried', async () => {
  const t = await connected();
  await subscribed(t, 'c');
  await reconnect(t);
  const sub = t.ws().lastJson('subscribe');
  t.ws().receive({ type: 'error', id: sub.id, code: 'unavailable', message: 'try later' });
  await t.clock.tick(1000);
  const again = t.ws().lastJson('subscribe');
  assert.ok(again.id > sub.id);
  assert.equal(again.channel, 'c');
  t.client.close();
});

test('two listeners on one channel share one server subscription', async () => {
  const t = await connected();
  const first = await subscribed(t, 'c', { offset: 1 });
  const got2 = [];
  const subscribedCb = [];
  const h2 = t.client.subscribe('c', (d) => got2.push(d), { onSubscribed: (r) => subscribedCb.push(r.id) });
  assert.equal((await h2.ready).channel, 'c');
  assert.deepEqual(subscribedCb, [first.frame.id]);
  assert.equal(t.ws().json().filter((x) => x.type === 'subscribe').length, 1);
  t.ws().receive({ type: 'message', channel: 'c', offset: 2, data: 'x' });
  assert.equal(first.got.length, 1);
  assert.deepEqual(got2, ['x']);
  // Removing one listener keeps the server subscription.
  await first.handle.unsubscribe();
  assert.equal(t.ws().json().filter((x) => x.type === 'unsubscribe').length, 0);
  const p = h2.unsubscribe();
  const un = t.ws().lastJson('unsubscribe');
  assert.equal(un.channel, 'c');
  t.ws().receive({ type: 'unsubscribed', id: un.id, channel: 'c' });
  await p;
  t.ws().receive({ type: 'message', channel: 'c', offset: 3, data: 'late' });
  assert.deepEqual(got2, ['x']);
  await reconnect(t);
  assert.equal(t.ws().json().filter((x) => x.type === 'subscribe').length, 0, 'not resubscribed');
  t.client.close();
});

test('unsubscribe while disconnected sends nothing and drops the channel', async () => {
  const t = await connected();
  const s = await subscribed(t, 'c');
  t.ws().serverClose(1006);
  await s.handle.unsubscribe();
  await t.clock.tick(t.eventsOf('reconnecting').pop().delay);
  t.ws().accept();
  assert.equal(t.ws().sent.length, 0);
  t.client.close();
});

test('unsubscribe before the reply rejects ready with cancelled; the late reply is ignored', async () => {
  const t = await connected();
  const h = t.client.subscribe('c', () => {});
  const f = t.ws().lastJson('subscribe');
  const p = h.unsubscribe();
  await assert.rejects(h.ready, { code: 'cancelled' });
  t.ws().receive({ type: 'subscribed', id: f.id, channel: 'c', offset: 0, epoch: 'e', recovered: true });
  t.ws().serverClose(1006); // the unsubscribe's reply never comes: still resolves
  await p;
  t.client.close();
});

test('close() rejects pending ready promises', async () => {
  const t = setup();
  const h = t.client.subscribe('c', () => {});
  t.client.close();
  await assert.rejects(h.ready, { code: 'unavailable' });
  const h2 = t.client.subscribe('d', () => {});
  await assert.rejects(h2.ready, { code: 'unavailable' });
});

test('subscribe validates its arguments', async () => {
  const t = await connected();
  assert.throws(() => t.client.subscribe('', () => {}), TypeError);
  assert.throws(() => t.client.subscribe('c'), TypeError);
  t.client.close();
});

test('message event sees every delivered message', async () => {
  const t = await connected();
  await subscribed(t, 'c');
  const seen = [];
  t.client.on('message', (m) => seen.push(m));
  t.ws().receive({ type: 'message', channel: 'c', offset: 1, data: 'x', from: 'u' });
  t.ws().receive({ type: 'message', channel: 'other', offset: 1, data: 'not subscribed' });
  assert.deepEqual(seen, [{ channel: 'c', offset: 1, from: 'u', data: 'x', binary: false }]);
  t.client.close();
});

test('unsubscribe resolves even when the server never answers (after requestTimeout)', async () => {
  const t = await connected({ requestTimeout: 2000, heartbeatInterval: 60000 });
  const s = await subscribed(t, 'c');
  let done = false;
  s.handle.unsubscribe().then(() => { done = true; });
  await t.clock.tick(1999);
  assert.equal(done, false);
  await t.clock.tick(1);
  assert.equal(done, true);
  t.client.close();
});
