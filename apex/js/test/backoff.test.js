'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { loadPulse, setup, flush } = require('./helpers');

const { backoffDelay, reconnectDelay } = loadPulse()._internal;

test('backoffDelay: full jitter between 0 and initial*factor^attempt', () => {
  const opts = { initial: 1000, max: 30000, factor: 2 };
  // random() = 0 gives the lower bound, random() just below 1 the (exclusive) upper bound.
  for (let attempt = 0; attempt < 5; attempt++) {
    const ceiling = 1000 * 2 ** attempt;
    assert.equal(backoffDelay(attempt, opts, () => 0), 0);
    assert.equal(backoffDelay(attempt, opts, () => 0.999999), ceiling - 1);
    assert.equal(backoffDelay(attempt, opts, () => 0.5), ceiling / 2);
  }
});

test('backoffDelay: capped at max, also for huge attempts', () => {
  const opts = { initial: 1000, max: 30000, factor: 2 };
  assert.equal(backoffDelay(5, opts, () => 0.999999), 29999); // 32000 capped to 30000
  assert.equal(backoffDelay(10, opts, () => 0.5), 15000);
  assert.equal(backoffDelay(5000, opts, () => 0.5), 15000); // factor^attempt = Infinity
  for (let i = 0; i < 200; i++) {
    const d = backoffDelay(i % 40, opts);
    assert.ok(d >= 0 && d < 30000, `delay ${d} out of bounds`);
  }
});

test('backoffDelay: defaults and partial options', () => {
  assert.equal(backoffDelay(0, undefined, () => 0.5), 500); // initial 1000
  assert.equal(backoffDelay(20, { max: 4000 }, () => 0.5), 2000);
  assert.equal(backoffDelay(2, { factor: 3, initial: 100 }, () => 0.5), 450);
});

test('reconnectDelay: 1012/1013 short jittered delay, others backoff', () => {
  for (const code of [1012, 1013]) {
    assert.equal(reconnectDelay(code, 9, {}, () => 0), 0);
    assert.equal(reconnectDelay(code, 9, {}, () => 0.999), 999);
    assert.equal(reconnectDelay(code, 9, { restartDelay: 300 }, () => 0.5), 150);
  }
  assert.equal(reconnectDelay(1006, 3, { backoff: { initial: 1000, max: 30000, factor: 2 } }, () => 0.5), 4000);
  assert.equal(reconnectDelay(null, 0, {}, () => 0.5), 500);
});

test('client: reconnect delays grow with failures, are capped, and reset after a welcome', async () => {
  const t = setup({ backoff: { initial: 100, max: 1000, factor: 2 }, random: () => 0.999 });
  await flush();
  // Fail 6 times in a row without ever getting a welcome.
  for (let i = 0; i < 6; i++) {
    t.ws().serverClose(1006);
    const ev = t.eventsOf('reconnecting').pop();
    assert.equal(ev.attempt, i + 1);
    assert.equal(ev.delay, Math.floor(0.999 * Math.min(1000, 100 * 2 ** i)));
    await t.clock.tick(ev.delay);
  }
  assert.equal(t.WS.instances.length, 7);
  // A successful session resets the schedule.
  t.ws().accept();
  await flush();
  t.ws().serverClose(1006);
  const ev = t.eventsOf('reconnecting').pop();
  assert.equal(ev.attempt, 1);
  assert.equal(ev.delay, 99);
  t.client.close();
});

test('client: the reconnect happens only after the delay', async () => {
  const t = setup({ random: () => 0.5 }); // first delay 500 ms
  await flush();
  t.ws().accept();
  t.ws().serverClose(1006);
  await t.clock.tick(499);
  assert.equal(t.WS.instances.length, 1);
  await t.clock.tick(1);
  assert.equal(t.WS.instances.length, 2);
  t.client.close();
});
