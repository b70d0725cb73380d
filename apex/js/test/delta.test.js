'use strict';
// Delta compression: pulse.js's Fossil decoder against deltas made by the npm package fossil-delta
// (an independent encoder), and the client applying deltas transparently, resubscribing when one
// does not apply.
const test = require('node:test');
const assert = require('node:assert/strict');
const { connected, flush, loadPulse } = require('./helpers');

const { applyDelta, dataText } = loadPulse()._internal;
const fossil = import('fossil-delta');

const WORDS = ['orders', 'revenue', 'Zürich', '東京', 'São Paulo', 'backlog', '🚀 launches', 'Ærøskøbing'];

/** A deterministic generator, so a failure can be replayed. */
function rng(seed) {
  let x = seed >>> 0;
  return (n) => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x % n;
  };
}

/** A dashboard of about 5 KB, as apps push them. */
function dashboard(r) {
  const rows = [];
  for (let i = 0; i < 40; i++) {
    rows.push({ department: 'dept-' + i, city: WORDS[r(WORDS.length)], orders: r(1000), late: r(50), status: r(2) ? 'ok' : 'warn' });
  }
  return { title: 'Department dashboard', kpis: WORDS.map((w) => ({ name: w, value: r(100000) })), rows };
}

function oneNumberChanged(d, r) {
  const next = JSON.parse(JSON.stringify(d));
  next.rows[r(40)].orders = 1000 + r(100000);
  return next;
}

/** Random inserts, deletes and replacements of whole characters. */
function edited(s, r) {
  const chars = Array.from(s);
  for (let i = 0, n = 1 + r(8); i < n; i++) {
    const at = chars.length ? r(chars.length) : 0;
    chars.splice(at, r(3) === 0 ? 0 : r(100), ...Array.from(WORDS[r(WORDS.length)]));
  }
  return chars.join('');
}

const bytes = (s) => new TextEncoder().encode(s);
const text = (b) => new TextDecoder().decode(b);

test('applyDelta turns deltas made by npm fossil-delta into exactly their target', async () => {
  const { createDelta } = await fossil;
  const r = rng(17);
  const pairs = [];
  for (let i = 0; i < 100; i++) {
    const d = dashboard(r);
    pairs.push([JSON.stringify(d), JSON.stringify(oneNumberChanged(d, r))]);
    pairs.push([JSON.stringify(d), edited(JSON.stringify(d), r)]);
  }
  const d = JSON.stringify(dashboard(r));
  pairs.push(['', ''], ['', d], [d, ''], [d, d], [d, JSON.stringify(dashboard(rng(99)))], ['0123456789abcdef', '0123456789abcdef!']);
  for (const [source, target] of pairs) {
    const out = applyDelta(bytes(source), createDelta(bytes(source), bytes(target)));
    assert.equal(text(out), target);
  }
  for (let i = 0; i < 50; i++) { // bytes that are no text at all
    const source = Uint8Array.from({ length: r(2000) }, () => r(256));
    const target = Uint8Array.from([...source.subarray(0, r(source.length + 1)), ...Array.from({ length: r(64) }, () => r(256))]);
    assert.deepEqual(applyDelta(source, createDelta(source, target)), target);
  }
});

test('applyDelta refuses a delta whose output is not what it was made from', async () => {
  const { createDelta } = await fossil;
  const source = bytes(JSON.stringify(dashboard(rng(3))));
  const target = bytes(JSON.stringify(oneNumberChanged(JSON.parse(text(source)), rng(4))));
  const delta = text(createDelta(source, target));
  const insert = delta.indexOf(':') + 1;
  const corrupted = delta.slice(0, insert) + (delta[insert] === '9' ? '8' : '9') + delta.slice(insert + 1);
  assert.throws(() => applyDelta(source, bytes(corrupted)), /bad checksum/);
  assert.throws(() => applyDelta(source.subarray(0, 100), bytes(delta)), /out of bounds/, 'another base');
  assert.throws(() => applyDelta(source, bytes(delta.slice(0, delta.length - 1))), /unterminated|number expected|unknown/);
  assert.throws(() => applyDelta(source, bytes('!')), /number expected/);
  assert.throws(() => applyDelta(source, bytes('3\n3:abc')), /unterminated/);
});

test('dataText cuts the data of a frame as the server writes it, from or not', () => {
  const data = '{"text":"a,\\"from\\":\\"x\\"","n":[1,2]}';
  assert.equal(dataText('{"type":"message","channel":"c","offset":3,"data":' + data + '}', false), data);
  assert.equal(dataText('{"type":"message","channel":"c","offset":3,"data":' + data + ',"from":"scott"}', true), data);
  assert.equal(dataText('{"type":"message","channel":"c","offset":3,"data":"x,\\"from\\":1","from":"a,\\"from\\":"}', true), '"x,\\"from\\":1"');
});

/** A full message frame as the gateway writes it. */
function full(channel, offset, dataJson, from) {
  return '{"type":"message","channel":"' + channel + '","offset":' + offset + ',"data":' + dataJson
    + (from ? ',"from":' + JSON.stringify(from) : '') + '}';
}

/** A delta message frame: the delta from the previous data text to this one. */
async function deltaFrame(channel, offset, previous, next, from) {
  const { createDelta } = await fossil;
  const delta = text(createDelta(bytes(previous), bytes(next)));
  return JSON.stringify(Object.assign({ type: 'message', channel, offset, delta }, from ? { from } : {}));
}

async function subscribedWithDelta(t, channel) {
  const got = [];
  t.client.subscribe(channel, (data, meta) => got.push({ data, offset: meta.offset, from: meta.from }));
  const f = t.ws().lastJson('subscribe');
  assert.equal(f.delta, true, 'pulse.js asks for deltas');
  t.ws().receive({ type: 'subscribed', id: f.id, channel, offset: 0, epoch: 'e1', recovered: true, delta: true });
  await flush();
  return got;
}

test('deltas are applied transparently: the page sees full data, with from', async () => {
  const t = await connected();
  const got = await subscribedWithDelta(t, 'dashboard/1');
  const r = rng(5);
  let d = dashboard(r);
  const texts = [JSON.stringify(d)];
  t.ws().receive(full('dashboard/1', 1, texts[0]));
  for (let offset = 2; offset <= 6; offset++) {
    d = oneNumberChanged(d, r);
    texts.push(JSON.stringify(d));
    t.ws().receive(await deltaFrame('dashboard/1', offset, texts[offset - 2], texts[offset - 1], offset % 2 ? 'scott' : undefined));
  }
  assert.deepEqual(got.map((m) => m.offset), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(got.map((m) => JSON.stringify(m.data)), texts);
  assert.deepEqual(got.map((m) => m.from), [undefined, undefined, 'scott', undefined, 'scott', undefined]);
  assert.deepEqual(t.eventsOf('resync'), []);
  // a full message again (after a gap on the server) is the new base
  texts.push(JSON.stringify({ reset: 'Zürich' }));
  t.ws().receive(full('dashboard/1', 7, texts[6], 'king'));
  texts.push(JSON.stringify({ reset: 'Zürich', n: 1 }));
  t.ws().receive(await deltaFrame('dashboard/1', 8, texts[6], texts[7]));
  assert.deepEqual(got.slice(6).map((m) => JSON.stringify(m.data)), texts.slice(6));
  t.client.close();
});

test('a delta that does not apply is never shown: the client resubscribes from the last good offset', async () => {
  const t = await connected();
  const got = await subscribedWithDelta(t, 'dashboard/2');
  const a = JSON.stringify(dashboard(rng(1)));
  const b = JSON.stringify(oneNumberChanged(JSON.parse(a), rng(2)));
  const c = JSON.stringify(oneNumberChanged(JSON.parse(b), rng(3)));
  t.ws().receive(full('dashboard/2', 1, a));
  const bad = JSON.parse(await deltaFrame('dashboard/2', 2, a, b));
  const insert = bad.delta.indexOf(':') + 1;
  bad.delta = bad.delta.slice(0, insert) + (bad.delta[insert] === '9' ? '8' : '9') + bad.delta.slice(insert + 1);
  t.ws().receive(bad);
  assert.deepEqual(got.map((m) => m.offset), [1], 'nothing wrong reaches the page');
  assert.match(t.eventsOf('resync')[0].reason, /bad checksum/);
  const [unsub, resub] = t.ws().json().slice(-2);
  assert.deepEqual([unsub.type, unsub.channel], ['unsubscribe', 'dashboard/2']);
  assert.deepEqual(resub, { type: 'subscribe', id: resub.id, channel: 'dashboard/2', delta: true, since: { offset: 1, epoch: 'e1' } });
  // frames of the old subscription still in flight are dropped
  t.ws().receive(await deltaFrame('dashboard/2', 3, b, c));
  t.ws().receive({ type: 'unsubscribed', id: unsub.id, channel: 'dashboard/2' });
  t.ws().receive({ type: 'subscribed', id: resub.id, channel: 'dashboard/2', offset: 2, epoch: 'e1', recovered: true, delta: true });
  t.ws().receive(full('dashboard/2', 2, b)); // the replay, in full
  t.ws().receive(await deltaFrame('dashboard/2', 3, b, c)); // live, a delta against the replay
  assert.deepEqual(got.map((m) => m.offset), [1, 2, 3]);
  assert.deepEqual(got.map((m) => JSON.stringify(m.data)), [a, b, c]);
  assert.deepEqual(t.eventsOf('error'), []);
  t.client.close();
});

test('a delta without the message before it (no base) makes the client resubscribe too', async () => {
  const t = await connected();
  const got = await subscribedWithDelta(t, 'dashboard/3');
  t.ws().receive(full('dashboard/3', 1, '{"n":1}'));
  t.ws().receive(await deltaFrame('dashboard/3', 3, '{"n":2}', '{"n":3}'));
  assert.deepEqual(got.map((m) => m.offset), [1]);
  assert.match(t.eventsOf('resync')[0].reason, /no base for offset 3/);
  assert.equal(t.ws().lastJson('subscribe').since.offset, 1);
  t.client.close();
});

test('delta: false asks for none', async () => {
  const t = await connected({ delta: false });
  t.client.subscribe('dashboard/4', () => {});
  assert.equal(t.ws().lastJson('subscribe').delta, undefined);
  t.client.close();
});
