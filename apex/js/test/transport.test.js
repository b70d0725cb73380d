'use strict';
// The event-stream fallback: when the WebSocket cannot open, the client speaks the same protocol over
// Server-Sent Events (GET /sse) and POSTs (/sse/<session>), and goes back to the WebSocket when it can.
const test = require('node:test');
const assert = require('node:assert/strict');
const { setup, flush, fakeEventStream } = require('./helpers');

function withStreams(opts) {
  const sse = fakeEventStream();
  const t = setup(Object.assign({ EventSource: sse.EventSource, fetch: sse.fetch }, opts || {}));
  t.sse = sse;
  t.es = () => sse.EventSource.last();
  return t;
}

/** Two WebSockets fail before open (as behind a proxy that drops Upgrade): the third try is a stream. */
async function fallenBack(opts) {
  const t = withStreams(opts);
  await flush();
  for (let i = 0; i < 2; i++) {
    t.ws().serverClose(1006);
    await t.clock.tick(1000);
  }
  assert.equal(t.WS.instances.length, 2);
  assert.equal(t.sse.EventSource.instances.length, 1);
  return t;
}

test('after two WebSockets fail before open, the client opens an event stream with the token', async () => {
  const t = await fallenBack();
  assert.equal(t.es().url, 'http://localhost:8080/sse?token=T0');
  assert.equal(t.client.transport, null);
  t.es().accept({ session: '3fa9c2e1.abc' });
  await flush();
  assert.equal(t.client.state, 'ready');
  assert.equal(t.client.transport, 'sse');
  assert.deepEqual(t.eventsOf('transport'), [{ transport: 'sse', previous: null }]);
  assert.equal(t.eventsOf('open').at(-1).transport, 'sse');
  t.client.close();
  assert.equal(t.es().closed, true);
});

test('frames go in POSTs to the session, one at a time, those of one tick together; replies come on the stream', async () => {
  const t = await fallenBack();
  t.client.subscribe('a', () => {});
  t.client.subscribe('b', () => {});
  t.es().accept({ session: '3fa9c2e1.abc' });
  await flush();
  assert.equal(t.sse.posts.length, 1, 'both resubscribes in one POST');
  const first = t.sse.posts[0];
  assert.equal(first.url, 'http://localhost:8080/sse/3fa9c2e1.abc');
  assert.equal(first.init.method, 'POST');
  assert.equal(first.type, 'application/json');
  assert.deepEqual(first.frames().map((f) => [f.type, f.channel]), [['subscribe', 'a'], ['subscribe', 'b']]);

  const published = t.client.publish('a', { n: 1 });
  await flush();
  assert.equal(t.sse.posts.length, 1, 'the next POST waits for the answer to the previous one');
  first.answer(202);
  await flush();
  assert.equal(t.sse.posts.length, 2);
  const pub = t.sse.posts[1].frames()[0];
  assert.equal(t.sse.posts[1].init.body.charAt(0), '{', 'a single frame goes as itself, not in an array');
  t.sse.posts[1].answer(202);
  t.es().receive({ type: 'ack', id: pub.id, offset: 7 });
  assert.deepEqual(await published, { offset: 7 });
  t.client.close();
});

test('binary: messages arrive as base64 and are delivered as bytes; binary publishes are octet-stream POSTs', async () => {
  const t = await fallenBack();
  const got = [];
  t.client.subscribe('bin', (data, meta) => got.push([new Uint8Array(data), meta.binary]));
  t.es().accept();
  await flush();
  t.sse.posts[0].answer(202);
  t.es().receive({ type: 'subscribed', id: t.sse.posts[0].frames()[0].id, channel: 'bin', offset: 0, epoch: 'E', recovered: true });
  t.es().receive({ type: 'message', channel: 'bin', offset: 1, binary: true, data: Buffer.from([1, 2, 255]).toString('base64') });
  assert.deepEqual(got, [[new Uint8Array([1, 2, 255]), true]]);

  t.client.publish('bin', new Uint8Array([9, 8])).catch(() => {});
  await flush();
  const post = t.sse.posts[1];
  assert.equal(post.type, 'application/octet-stream');
  assert.equal(t.pulse._internal.decodeBinary(post.init.body).channel, 'bin');
  t.client.close();
});

test('a close frame ends the session with its code: 1012 reconnects soon, on a new stream, resubscribing with since', async () => {
  const t = await fallenBack();
  const seen = [];
  t.client.subscribe('c', (d) => seen.push(d));
  t.es().accept();
  await flush();
  const sub = t.sse.posts[0].frames()[0];
  t.sse.posts[0].answer(202);
  t.es().receive({ type: 'subscribed', id: sub.id, channel: 'c', offset: 4, epoch: 'E', recovered: true });
  t.es().receive({ type: 'message', channel: 'c', offset: 5, data: 'x' });
  const stream = t.es();
  stream.receive({ type: 'close', code: 1012, reason: 'node restarting, reconnect' });
  assert.equal(stream.closed, true);
  assert.deepEqual(t.eventsOf('close').at(-1), { code: 1012, reason: 'node restarting, reconnect', willReconnect: true });
  await t.clock.tick(1000);
  assert.equal(t.sse.EventSource.instances.length, 2, 'still on event streams (the WebSocket is tried by the probe)');
  t.es().accept({ session: 'r1.second' });
  await flush();
  const resub = t.sse.posts.at(-1);
  assert.equal(resub.url, 'http://localhost:8080/sse/r1.second');
  assert.deepEqual(resub.frames()[0].since, { offset: 5, epoch: 'E' });
  assert.deepEqual(t.eventsOf('transport').length, 1, 'no transport event: still sse');
  t.client.close();
});

test('a stream refused with 1008 asks the tokenProvider again with reason auth', async () => {
  const reasons = [];
  const t = withStreams({ token: undefined, transports: ['sse'], tokenProvider: async (r) => { reasons.push(r.reason); return 'tok'; } });
  await flush();
  await flush();
  t.es().receive({ type: 'error', code: 'unauthorized', message: 'token expired' });
  t.es().receive({ type: 'close', code: 1008, reason: 'token expired' });
  await t.clock.tick(2000);
  assert.deepEqual(reasons, ['initial', 'auth']);
  assert.equal(t.WS.instances.length, 0, "transports: ['sse'] never opens a WebSocket");
  t.client.close();
});

test('a stream lost without a close frame (the EventSource errs) is a 1006: the client reconnects itself, EventSource must not', async () => {
  const t = await fallenBack();
  t.es().accept();
  await flush();
  const stream = t.es();
  stream.fail();
  assert.equal(stream.closed, true, 'closed so EventSource does not reopen a stream nobody reads');
  assert.equal(t.eventsOf('close').at(-1).code, 1006);
  t.client.close();
});

test('a POST answered 404 (the session is gone) drops the connection; 429 is retried; a failed fetch drops it', async () => {
  const t = await fallenBack();
  t.es().accept();
  await flush();
  const p1 = t.client.presence('x').then(() => null, (e) => e);
  await flush();
  t.sse.posts[0].answer(429);
  await flush();
  await t.clock.tick(1000);
  assert.equal(t.sse.posts.length, 2, 'the same frames again after a second');
  assert.deepEqual(t.sse.posts[1].frames(), t.sse.posts[0].frames());
  t.sse.posts[1].answer(404);
  await flush();
  assert.equal(t.eventsOf('close').at(-1).reason, 'event stream session gone');
  assert.equal((await p1).code, 'unavailable');

  await t.clock.tick(2000);
  t.es().accept();
  await flush();
  t.client.presence('y').catch(() => {});
  await flush();
  t.sse.posts.at(-1).fail();
  await flush();
  assert.equal(t.eventsOf('close').at(-1).reason, 'POST failed');
  t.client.close();
});

test('a WebSocket that does not open within connectTimeout counts as failed', async () => {
  const t = withStreams({ connectTimeout: 3000 });
  await flush();
  await t.clock.tick(3000);
  assert.equal(t.eventsOf('close')[0].reason, 'connect timeout');
  assert.equal(t.WS.instances[0].closeCalls.length, 1);
  await t.clock.tick(1000);
  await t.clock.tick(3000);
  await t.clock.tick(2000);
  assert.equal(t.sse.EventSource.instances.length, 1, 'two timeouts: on to the stream');
  t.client.close();
});

test('on a stream the WebSocket is tried again now and then; once one opens the client moves back to it', async () => {
  // no pings in this test (the fake server would have to answer them)
  const t = await fallenBack({ websocketRetryInterval: 30000, heartbeatInterval: 600000 });
  const seen = [];
  t.client.subscribe('d', (d) => seen.push(d));
  t.es().accept();
  await flush();
  const sub = t.sse.posts[0].frames()[0];
  t.sse.posts[0].answer(202);
  t.es().receive({ type: 'subscribed', id: sub.id, channel: 'd', offset: 0, epoch: 'E', recovered: true });
  t.es().receive({ type: 'message', channel: 'd', offset: 1, data: 'one' });

  await t.clock.tick(30000);
  const probe = t.ws();
  assert.equal(t.WS.instances.length, 3);
  assert.equal(probe.url, 'ws://localhost:8080/ws', 'the probe carries no token');
  probe.serverClose(1006); // still blocked
  await t.clock.tick(30000);
  assert.equal(t.WS.instances.length, 4, 'tried again after another interval');
  assert.equal(t.client.transport, 'sse');

  const stream = t.es();
  t.ws().open(); // the proxy lets WebSockets through now
  await flush();
  assert.deepEqual(t.ws().closeCalls, [{ code: 1000, reason: 'probe' }]);
  assert.equal(stream.closed, true);
  await t.clock.tick(0); // at once, not after a backoff
  const ws = t.ws();
  assert.equal(t.WS.instances.length, 5);
  assert.equal(ws.url, 'ws://localhost:8080/ws?token=T0');
  ws.accept();
  await flush();
  assert.equal(t.client.transport, 'websocket');
  assert.deepEqual(t.eventsOf('transport').at(-1), { transport: 'websocket', previous: 'sse' });
  assert.deepEqual(ws.lastJson('subscribe').since, { offset: 1, epoch: 'E' });
  await t.clock.tick(120000);
  assert.equal(t.WS.instances.length, 5, 'no probes on the WebSocket');
  t.client.close();
});

test('the event-stream URL follows the socket URL, or options.sseUrl', async () => {
  const { _internal } = setup().pulse;
  const t1 = withStreams({ url: 'wss://pulse.example.com/ws?app=100', token: undefined, transports: ['sse'] });
  await flush();
  assert.equal(t1.es().url, 'https://pulse.example.com/sse?app=100');
  t1.es().accept({ session: 's1' });
  await flush();
  t1.client.presence('p').catch(() => {});
  await flush();
  assert.equal(t1.sse.posts[0].url, 'https://pulse.example.com/sse/s1');
  t1.client.close();
  const t2 = withStreams({ url: 'ws://h/pulse/', transports: ['sse'] });
  await flush();
  assert.equal(t2.es().url, 'http://h/pulse/sse?token=T0');
  t2.client.close();
  const t3 = withStreams({ sseUrl: 'https://other/events', transports: ['sse'] });
  await flush();
  assert.equal(t3.es().url, 'https://other/events?token=T0');
  t3.client.close();
  assert.ok(_internal);
});

test('transports are checked; one the environment lacks is skipped', () => {
  const { pulse } = setup();
  assert.throws(() => pulse.connect({ url: 'ws://x', transports: ['carrier-pigeon'] }), TypeError);
  assert.throws(() => pulse.connect({ url: 'ws://x', transports: [] }), TypeError);
  // Node 20 has fetch but no EventSource: ['sse'] alone cannot work
  assert.throws(() => pulse.connect({ url: 'ws://x', transports: ['sse'] }), /EventSource/);
});

test('a pulse-transport DOM event tells the page, also through apex.jQuery', async () => {
  const dispatched = [];
  const triggered = [];
  globalThis.CustomEvent = class { constructor(name, init) { this.type = name; this.detail = init.detail; } };
  globalThis.document = { dispatchEvent: (e) => dispatched.push([e.type, e.detail]) };
  const jq = (target) => ({ trigger: (name, args) => triggered.push([name, args[0]]) });
  jq.event = {};
  globalThis.apex = { jQuery: jq };
  try {
    const t = await fallenBack();
    t.es().accept();
    await flush();
    assert.deepEqual(dispatched, [['pulse-transport', { transport: 'sse', previous: null }]]);
    assert.deepEqual(triggered, [['pulse-transport', { transport: 'sse', previous: null }]]);
    t.client.close();
  } finally {
    delete globalThis.CustomEvent;
    delete globalThis.document;
    delete globalThis.apex;
  }
});
