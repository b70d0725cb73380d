'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { setup, connected, flush } = require('./helpers');

test('publish resolves with the ack offset', async () => {
  const t = await connected();
  const p = t.client.publish('/chat/room/7', { text: 'hi' });
  const f = t.ws().lastJson('publish');
  assert.deepEqual(f, { type: 'publish', id: f.id, channel: 'chat/room/7', data: { text: 'hi' } });
  t.ws().receive({ type: 'ack', id: f.id, offset: 42 });
  assert.deepEqual(await p, { offset: 42 });
  t.client.close();
});

test('publish of undefined sends data:null; strings and numbers go as JSON values', async () => {
  const t = await connected();
  t.client.publish('c', undefined).catch(() => {});
  t.client.publish('c', 'text').catch(() => {});
  t.client.publish('c', 0).catch(() => {});
  assert.deepEqual(t.ws().json().map((f) => f.data), [null, 'text', 0]);
  t.client.close();
});

test('error replies reject with an Error carrying the protocol code', async () => {
  const t = await connected();
  const p = t.client.publish('c', 1);
  const f = t.ws().lastJson('publish');
  t.ws().receive({ type: 'error', id: f.id, code: 'forbidden', message: 'not allowed to publish to c' });
  await assert.rejects(p, (e) => {
    assert.ok(e instanceof Error);
    assert.ok(e instanceof t.pulse.PulseError);
    assert.equal(e.code, 'forbidden');
    assert.equal(e.message, 'not allowed to publish to c');
    assert.equal(e.frame.id, f.id);
    return true;
  });
  assert.equal(t.eventsOf('error').length, 0, 'an error with an id belongs to its request only');
  t.client.close();
});

test('replies are matched by id, whatever their order', async () => {
  const t = await connected();
  const p1 = t.client.publish('c', 1);
  const p2 = t.client.publish('c', 2);
  const [f1, f2] = t.ws().json();
  assert.ok(f2.id > f1.id);
  t.ws().receive({ type: 'ack', id: f2.id, offset: 8 });
  t.ws().receive({ type: 'error', id: f1.id, code: 'too_large', message: 'big' });
  assert.deepEqual(await p2, { offset: 8 });
  await assert.rejects(p1, { code: 'too_large' });
  t.client.close();
});

test('pending publish is rejected with unavailable on close and never resent', async () => {
  const t = await connected();
  const p = t.client.publish('c', { x: 1 });
  t.ws().serverClose(1006);
  await assert.rejects(p, (e) => e.code === 'unavailable' && /1006/.test(e.message));
  await t.clock.tick(t.eventsOf('reconnecting').pop().delay);
  t.ws().accept();
  assert.equal(t.ws().json().filter((f) => f.type === 'publish').length, 0);
  t.client.close();
});

test('requests made while disconnected wait for the connection', async () => {
  const t = setup();
  const p = t.client.publish('c', 'queued');
  const q = t.client.presence('c');
  await flush();
  await t.clock.tick(5000);
  t.ws().accept();
  const [pub, pres] = t.ws().json();
  assert.equal(pub.type, 'publish');
  assert.equal(pres.type, 'presence');
  t.ws().receive({ type: 'ack', id: pub.id, offset: 1 });
  t.ws().receive({ type: 'presence', id: pres.id, channel: 'c', count: 1, clients: [{ user: 'scott', name: 'Scott' }] });
  assert.deepEqual(await p, { offset: 1 });
  assert.deepEqual(await q, { channel: 'c', count: 1, clients: [{ user: 'scott', name: 'Scott' }] });
  t.client.close();
});

test('requests made while disconnected reject with unavailable after requestTimeout', async () => {
  const t = setup({ requestTimeout: 3000 });
  const p = t.client.publish('c', 1);
  const q = t.client.trigger('job');
  let settled = false;
  p.then(() => { settled = true; }, () => { settled = true; });
  const rejected = Promise.all([
    assert.rejects(p, { code: 'unavailable' }),
    assert.rejects(q, { code: 'unavailable' }),
  ]);
  await flush();
  await t.clock.tick(2999);
  assert.equal(settled, false);
  await t.clock.tick(1);
  await rejected;
  t.ws().accept();
  assert.equal(t.ws().sent.length, 0, 'timed-out requests are not sent later');
  t.client.close();
});

test('a sent request without a reply times out with code timeout', async () => {
  const t = await connected({ requestTimeout: 1000, heartbeatInterval: 60000 });
  const p = t.client.presence('c');
  const rejected = assert.rejects(p, { code: 'timeout' });
  await t.clock.tick(1000);
  await rejected;
  const f = t.ws().lastJson('presence');
  t.ws().receive({ type: 'presence', id: f.id, channel: 'c', count: 0, clients: [] }); // late: ignored
  t.client.close();
});

test('presence and trigger frames and replies', async () => {
  const t = await connected();
  const pr = t.client.presence('/room');
  const tr = t.client.trigger('order-stats');
  const [pf, tf] = t.ws().json();
  assert.deepEqual(pf, { type: 'presence', id: pf.id, channel: 'room' });
  assert.deepEqual(tf, { type: 'trigger', id: tf.id, job: 'order-stats' });
  t.ws().receive({ type: 'presence', id: pf.id, channel: 'room', count: 0 });
  t.ws().receive({ type: 'ack', id: tf.id });
  assert.deepEqual(await pr, { channel: 'room', count: 0, clients: [] });
  assert.deepEqual(await tr, { type: 'ack', id: tf.id });
  const bad = t.client.trigger('nope');
  t.ws().receive({ type: 'error', id: t.ws().lastJson('trigger').id, code: 'forbidden', message: 'no trig grant' });
  await assert.rejects(bad, { code: 'forbidden' });
  t.client.close();
});

test('argument errors reject without sending', async () => {
  const t = await connected();
  await assert.rejects(t.client.publish('', 1), TypeError);
  await assert.rejects(t.client.presence(null), TypeError);
  await assert.rejects(t.client.trigger(''), TypeError);
  const circular = {};
  circular.self = circular;
  await assert.rejects(t.client.publish('c', circular), TypeError);
  assert.equal(t.ws().sent.length, 0);
  t.client.close();
});

test('ids increase across requests of every kind', async () => {
  const t = await connected();
  t.client.subscribe('a', () => {});
  t.client.publish('a', 1).catch(() => {});
  t.client.presence('a').catch(() => {});
  t.client.trigger('j').catch(() => {});
  const ids = t.ws().json().map((f) => f.id);
  assert.equal(ids.length, 4);
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i] > ids[i - 1]);
  t.client.close();
});

test('close() rejects pending and waiting requests', async () => {
  const t = await connected();
  const sent = t.client.publish('c', 1);
  t.client.close();
  await assert.rejects(sent, { code: 'unavailable' });
  const t2 = setup();
  const waiting = t2.client.presence('c');
  t2.client.close();
  await assert.rejects(waiting, { code: 'unavailable' });
});

test('a send that throws drops the socket and fails the request', async () => {
  const t = await connected();
  t.ws().send = () => { throw new Error('socket gone'); };
  const p = t.client.publish('c', 1);
  await assert.rejects(p, { code: 'unavailable' });
  assert.equal(t.eventsOf('close')[0].code, 4001);
  assert.equal(t.eventsOf('reconnecting').length, 1);
  t.client.close();
});
