'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { loadPulse, connected, flush } = require('./helpers');

const { encodeBinary, decodeBinary } = loadPulse()._internal;

const bytes = (buf) => [...new Uint8Array(buf)];

test('encodeBinary writes the documented layout byte by byte', () => {
  const buf = encodeBinary('ab', 0x0102030405, new Uint8Array([0x00, 0xff]));
  assert.ok(buf instanceof ArrayBuffer);
  assert.deepEqual(bytes(buf), [
    1, // version
    0x00, 0x02, // channel length, big-endian
    0x61, 0x62, // "ab"
    0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, // offset, uint64 big-endian
    0x00, 0xff, // payload
  ]);
});

test('round trip with 0x00/0xFF payload bytes, a 255-byte channel and a >32-bit offset', () => {
  const payload = new Uint8Array(512);
  for (let i = 0; i < payload.length; i++) payload[i] = i % 2 ? 0xff : 0x00;
  payload[0] = 0xff;
  payload[511] = 0x00;
  const channel = 'c'.repeat(255); // length 0x00FF: high byte 0x00, low byte 0xFF
  const offsets = [0, 1, 255, 0xffffffff, 0x100000000, 0xffffffff00, Number.MAX_SAFE_INTEGER];
  for (const offset of offsets) {
    const buf = encodeBinary(channel, offset, payload);
    const view = new Uint8Array(buf);
    assert.equal(view[1], 0x00);
    assert.equal(view[2], 0xff);
    const m = decodeBinary(buf);
    assert.equal(m.version, 1);
    assert.equal(m.channel, channel);
    assert.equal(m.offset, offset);
    assert.ok(m.payload instanceof ArrayBuffer);
    assert.deepEqual(bytes(m.payload), [...payload]);
  }
});

test('decodeBinary reads the channel length big-endian (256 = 0x01 0x00)', () => {
  const channel = 'x'.repeat(256);
  const raw = new Uint8Array(11 + 256 + 3);
  raw[0] = 1;
  raw[1] = 0x01;
  raw[2] = 0x00;
  raw.set(Buffer.from(channel), 3);
  raw.set([0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00], 3 + 256); // hi word all ones
  raw.set([0x00, 0xff, 0x7f], 11 + 256);
  const m = decodeBinary(raw.buffer);
  assert.equal(m.channel, channel);
  assert.equal(m.offset, 0xffffffff * 2 ** 32);
  assert.deepEqual(bytes(m.payload), [0x00, 0xff, 0x7f]);
});

test('decodeBinary works on views into a larger buffer (Node Buffer, subarray) and empty payloads', () => {
  const inner = new Uint8Array(encodeBinary('ch/1', 7, new Uint8Array(0)));
  const big = new Uint8Array(inner.length + 10).fill(0xee);
  big.set(inner, 5);
  const view = big.subarray(5, 5 + inner.length);
  const m = decodeBinary(view);
  assert.equal(m.channel, 'ch/1');
  assert.equal(m.offset, 7);
  assert.equal(m.payload.byteLength, 0);
  assert.equal(decodeBinary(Buffer.from(inner)).channel, 'ch/1');
});

test('UTF-8 channel names are encoded by bytes, not characters', () => {
  const buf = encodeBinary('ü/€', 1, new Uint8Array([1]));
  const v = new Uint8Array(buf);
  assert.equal((v[1] << 8) | v[2], 6); // ü = 2 bytes, / = 1, € = 3
  assert.equal(decodeBinary(buf).channel, 'ü/€');
});

test('malformed frames are refused', () => {
  assert.throws(() => decodeBinary(new ArrayBuffer(5)), { code: 'bad_request' });
  const wrongVersion = new Uint8Array(encodeBinary('a', 1, new Uint8Array(0)));
  wrongVersion[0] = 2;
  assert.throws(() => decodeBinary(wrongVersion), /version 2/);
  const truncated = new Uint8Array(encodeBinary('abc', 1, new Uint8Array(0))).slice(0, 12);
  assert.throws(() => decodeBinary(truncated), /truncated|short/);
  assert.throws(() => encodeBinary('a', -1, new Uint8Array(0)), RangeError);
  assert.throws(() => encodeBinary('a', 1.5, new Uint8Array(0)), RangeError);
  assert.throws(() => encodeBinary('a', 1, 'not bytes'), TypeError);
});

test('client delivers binary frames as ArrayBuffer with binary meta, deduped like text', async () => {
  const t = await connected();
  const got = [];
  const h = t.client.subscribe('files/1', (data, meta) => got.push({ data, meta }));
  const sub = t.ws().lastJson('subscribe');
  t.ws().receive({ type: 'subscribed', id: sub.id, channel: 'files/1', offset: 9, epoch: 'e', recovered: true });
  await h.ready;
  t.ws().receive(encodeBinary('files/1', 10, new Uint8Array([0x00, 0xff, 0x00])));
  t.ws().receive(encodeBinary('files/1', 10, new Uint8Array([0x01]))); // duplicate offset
  t.ws().receive({ type: 'message', channel: 'files/1', offset: 11, data: 'text' });
  assert.equal(got.length, 2);
  assert.ok(got[0].data instanceof ArrayBuffer);
  assert.deepEqual(bytes(got[0].data), [0x00, 0xff, 0x00]);
  assert.deepEqual(got[0].meta, { channel: 'files/1', offset: 10, from: undefined, binary: true });
  assert.equal(got[1].data, 'text');
  // A broken binary frame is reported, not delivered.
  t.ws().receive(new Uint8Array([9, 9, 9]).buffer);
  assert.equal(t.eventsOf('error')[0].code, 'bad_request');
  t.client.close();
});

test('binary publish: same layout with the request id as offset; the ack is matched by that id', async () => {
  const t = await connected();
  const t1 = t.client.publish('/files/1', new Uint8Array([0x00, 0xff, 0x80]));
  const ab = new Uint8Array([0xff, 0x00]).buffer;
  const t2 = t.client.publish('files/1', ab);
  const frames = t.ws().binary();
  assert.equal(frames.length, 2);
  const m1 = decodeBinary(frames[0]);
  const m2 = decodeBinary(frames[1]);
  assert.equal(m1.channel, 'files/1');
  assert.deepEqual(bytes(m1.payload), [0x00, 0xff, 0x80]);
  assert.deepEqual(bytes(m2.payload), [0xff, 0x00]);
  assert.ok(m2.offset > m1.offset);
  t.ws().receive({ type: 'ack', id: m2.offset, offset: 501 });
  t.ws().receive({ type: 'error', id: m1.offset, code: 'too_large', message: 'limit' });
  assert.deepEqual(await t2, { offset: 501 });
  await assert.rejects(t1, { code: 'too_large' });
  t.client.close();
});

test('binary publish while disconnected copies the caller buffer at call time', async () => {
  const { setup } = require('./helpers');
  const t = setup();
  const data = new Uint8Array([1, 2, 3]);
  const p = t.client.publish('c', data);
  data[0] = 99; // caller reuses its buffer
  await flush();
  t.ws().accept();
  const m = decodeBinary(t.ws().binary()[0]);
  assert.deepEqual(bytes(m.payload), [1, 2, 3]);
  t.ws().receive({ type: 'ack', id: m.offset, offset: 1 });
  assert.deepEqual(await p, { offset: 1 });
  t.client.close();
});
