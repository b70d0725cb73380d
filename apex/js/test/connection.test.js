'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { setup, connected, flush } = require('./helpers');

test('static token goes into the URL, events open and welcome are emitted', async () => {
  const t = setup({ token: 'a b+c' });
  assert.equal(t.WS.instances.length, 0, 'connects on the next microtask, after listeners attach');
  await flush();
  const ws = t.ws();
  assert.equal(ws.url, 'ws://localhost:8080/ws?token=a%20b%2Bc');
  assert.equal(ws.binaryType, 'arraybuffer');
  assert.equal(t.client.state, 'connecting');
  ws.accept({ connection: 'c-9' });
  assert.equal(t.client.state, 'ready');
  assert.equal(t.client.connected, true);
  assert.equal(t.client.welcome.connection, 'c-9');
  assert.deepEqual(t.events.map((e) => e.name), ['open', 'welcome', 'transport']);
  assert.deepEqual(t.eventsOf('transport'), [{ transport: 'websocket', previous: null }]);
  assert.equal(t.client.transport, 'websocket');
  assert.equal(t.eventsOf('open')[0].url, 'ws://localhost:8080/ws', 'the token is not exposed in events');
  t.client.close();
});

test('token is appended with & when the URL already has a query', async () => {
  const t = setup({ url: 'ws://h/ws?app=100', token: 'x' });
  await flush();
  assert.equal(t.ws().url, 'ws://h/ws?app=100&token=x');
  t.client.close();
});

test('no token: plain URL (anonymous read-only connections)', async () => {
  const t = setup({ url: 'ws://h/ws?app=100', token: undefined });
  await flush();
  assert.equal(t.ws().url, 'ws://h/ws?app=100');
  t.client.close();
});

test('tokenProvider is called before each connect', async () => {
  const calls = [];
  let n = 0;
  const t = setup({ token: undefined, tokenProvider: async (info) => { calls.push(info.reason); return 'tok' + ++n; } });
  await flush();
  assert.equal(t.ws().url, 'ws://localhost:8080/ws?token=tok1');
  t.ws().accept();
  t.ws().serverClose(1006);
  await t.clock.tick(1000);
  assert.equal(t.WS.instances.length, 2);
  assert.equal(t.ws().url, 'ws://localhost:8080/ws?token=tok2');
  assert.deepEqual(calls, ['initial', 'reconnect']);
  t.client.close();
});

test('1008 with a tokenProvider: a fresh token is fetched (reason auth) before the retry', async () => {
  const calls = [];
  let n = 0;
  const t = setup({ token: undefined, tokenProvider: (info) => { calls.push(info.reason); return Promise.resolve('tok' + ++n); } });
  await flush();
  t.ws().open();
  t.ws().serverClose(1008, 'token expired');
  assert.equal(t.eventsOf('close')[0].code, 1008);
  assert.equal(t.eventsOf('error').length, 0, 'no error: the provider handles expiry');
  assert.equal(calls.length, 1, 'provider not called before the delay elapses');
  await t.clock.tick(t.eventsOf('reconnecting')[0].delay);
  assert.deepEqual(calls, ['initial', 'auth']);
  assert.equal(t.WS.instances.length, 2);
  assert.equal(t.ws().url, 'ws://localhost:8080/ws?token=tok2', 'the new socket uses the fresh token');
  t.client.close();
});

test('1008 with a static token: error event, and it still retries with backoff', async () => {
  const t = setup({ token: 'static' });
  await flush();
  t.ws().serverClose(1008);
  const [err] = t.eventsOf('error');
  assert.equal(err.code, 'unauthorized');
  const [rec] = t.eventsOf('reconnecting');
  assert.equal(rec.code, 1008);
  assert.equal(rec.delay, 500);
  await t.clock.tick(500);
  assert.equal(t.WS.instances.length, 2);
  assert.equal(t.ws().url, 'ws://localhost:8080/ws?token=static');
  t.client.close();
});

test('tokenProvider failure: error event, then retry with backoff', async () => {
  let fail = true;
  const t = setup({ token: undefined, tokenProvider: async () => { if (fail) throw new Error('session expired'); return 'ok'; } });
  await flush();
  await flush();
  assert.equal(t.WS.instances.length, 0);
  assert.equal(t.eventsOf('error')[0].message, 'session expired');
  assert.equal(t.eventsOf('reconnecting').length, 1);
  fail = false;
  await t.clock.tick(500);
  assert.equal(t.WS.instances.length, 1);
  assert.equal(t.ws().url, 'ws://localhost:8080/ws?token=ok');
  t.client.close();
});

test('a tokenProvider that never answers is given up after requestTimeout', async () => {
  const t = setup({ token: undefined, requestTimeout: 2000, tokenProvider: () => new Promise(() => {}) });
  await flush();
  await t.clock.tick(2000);
  assert.equal(t.eventsOf('error')[0].message, 'tokenProvider timed out');
  assert.equal(t.eventsOf('reconnecting').length, 1);
  t.client.close();
});

for (const code of [1012, 1013]) {
  test(`${code}: reconnects within 0-1 s even after many failures`, async () => {
    const t = setup({ random: () => 0.999, backoff: { initial: 1000, max: 30000, factor: 2 } });
    await flush();
    for (let i = 0; i < 4; i++) { // build up a long backoff first
      t.ws().serverClose(1006);
      await t.clock.tick(t.eventsOf('reconnecting').pop().delay);
    }
    t.ws().accept();
    t.ws().serverClose(code, 'node restarting');
    const rec = t.eventsOf('reconnecting').pop();
    assert.ok(rec.delay >= 0 && rec.delay < 1000, `delay ${rec.delay}`);
    // Several restarts in a row stay short, unlike the backoff.
    await t.clock.tick(rec.delay);
    t.ws().serverClose(code);
    assert.ok(t.eventsOf('reconnecting').pop().delay < 1000);
    t.client.close();
  });
}

test('close(): stops for good, no reconnect, close event once', async () => {
  const t = await connected();
  const ws = t.ws();
  t.client.close();
  assert.deepEqual(ws.closeCalls, [{ code: 1000, reason: 'client closed' }]);
  assert.equal(t.client.state, 'closed');
  await t.clock.tick(120000);
  assert.equal(t.WS.instances.length, 1);
  assert.equal(t.eventsOf('close').length, 1);
  assert.equal(t.eventsOf('close')[0].willReconnect, false);
  assert.equal(t.clock.timers.size, 0, 'no timer left behind');
  t.client.close(); // idempotent
  await assert.rejects(t.client.publish('a', 1), { code: 'unavailable' });
});

test('close() while waiting to reconnect cancels the reconnect', async () => {
  const t = await connected();
  t.ws().serverClose(1006);
  t.client.close();
  await t.clock.tick(60000);
  assert.equal(t.WS.instances.length, 1);
});

test('pings every heartbeat interval from the welcome frame', async () => {
  const t = setup();
  await flush();
  t.ws().accept({ heartbeat: 10 });
  const ws = t.ws();
  await t.clock.tick(9999);
  assert.equal(ws.json().filter((f) => f.type === 'ping').length, 0);
  await t.clock.tick(1);
  let pings = ws.json().filter((f) => f.type === 'ping');
  assert.equal(pings.length, 1);
  assert.equal(typeof pings[0].id, 'number');
  ws.receive({ type: 'pong', id: pings[0].id });
  await t.clock.tick(10000);
  pings = ws.json().filter((f) => f.type === 'ping');
  assert.equal(pings.length, 2);
  assert.ok(pings[1].id > pings[0].id);
  t.client.close();
});

test('dead connection: no frame for two intervals closes the socket and reconnects', async () => {
  const t = setup();
  await flush();
  t.ws().accept({ heartbeat: 10 });
  const ws = t.ws();
  await t.clock.tick(15000);
  ws.receive({ type: 'pong', id: 1 }); // any frame counts as a sign of life
  await t.clock.tick(19999);
  assert.equal(t.eventsOf('close').length, 0, 'still alive: last frame 19.999 s ago');
  await t.clock.tick(1);
  const [closed] = t.eventsOf('close');
  assert.equal(closed.code, 4000);
  assert.equal(closed.reason, 'heartbeat timeout');
  assert.equal(ws.closeCalls.length, 1, 'the dead socket is closed');
  assert.equal(t.eventsOf('reconnecting').length, 1);
  await t.clock.tick(t.eventsOf('reconnecting')[0].delay);
  assert.equal(t.WS.instances.length, 2);
  // Late events from the abandoned socket are ignored.
  ws.receive({ type: 'welcome', heartbeat: 1 });
  ws.serverClose(1006);
  assert.equal(t.eventsOf('close').length, 1);
  t.client.close();
});

test('heartbeat options override the welcome', async () => {
  const t = setup({ heartbeatInterval: 1000, heartbeatTimeout: 1500 });
  await flush();
  t.ws().accept({ heartbeat: 60 });
  await t.clock.tick(1000);
  assert.equal(t.ws().json().filter((f) => f.type === 'ping').length, 1);
  await t.clock.tick(500);
  assert.equal(t.eventsOf('close')[0].code, 4000);
  t.client.close();
});

test('a connect that hangs in the handshake is given up by the watchdog', async () => {
  const t = setup(); // default 25 s interval until a welcome says otherwise
  await flush();
  await t.clock.tick(50000);
  assert.equal(t.eventsOf('close')[0].code, 4000);
  assert.equal(t.WS.instances[0].closeCalls.length, 1);
  t.client.close();
});

test('error frames without id are emitted as error events; join/leave as events', async () => {
  const t = await connected();
  t.ws().receive({ type: 'error', code: 'rate_limited', message: 'slow down' });
  t.ws().receive({ type: 'join', channel: 'chat/1', user: 'scott' });
  t.ws().receive({ type: 'leave', channel: 'chat/1', user: 'scott' });
  t.ws().receive('not json');
  const errors = t.eventsOf('error');
  assert.equal(errors[0].code, 'rate_limited');
  assert.equal(errors[0].message, 'slow down');
  assert.ok(errors[0] instanceof Error);
  assert.equal(errors[1].code, 'bad_request');
  assert.deepEqual(t.eventsOf('join'), [{ type: 'join', channel: 'chat/1', user: 'scott' }]);
  assert.equal(t.eventsOf('leave')[0].user, 'scott');
  t.client.close();
});

test('off() removes a listener; a throwing listener does not stop the others', async () => {
  const t = setup();
  const seen = [];
  const fn = () => seen.push('removed');
  t.client.on('welcome', fn);
  t.client.off('welcome', fn);
  const origError = console.error;
  const reported = [];
  console.error = (e) => reported.push(e);
  try {
    t.client.on('welcome', () => { throw new Error('boom'); });
    t.client.on('welcome', () => seen.push('second'));
    await flush();
    t.ws().accept();
  } finally {
    console.error = origError;
  }
  assert.deepEqual(seen, ['second']);
  assert.equal(reported[0].message, 'boom');
  assert.equal(t.client.connected, true);
  t.client.close();
});

test('connect() validates its options', () => {
  const { pulse } = setup();
  assert.throws(() => pulse.connect({}), TypeError);
  if (typeof globalThis.WebSocket !== 'function') {
    assert.throws(() => pulse.connect({ url: 'ws://x' }), /WebSocket/);
  }
});

test('a WebSocket constructor that throws is reported and retried', async () => {
  let throws = true;
  const t = setup();
  const Base = t.WS;
  // Swap in a constructor that fails once, e.g. a malformed URL or a blocked port.
  t.client._WebSocket = class extends Base {
    constructor(url) {
      if (throws) { throws = false; throw new SyntaxError('bad url'); }
      super(url);
    }
  };
  await flush();
  assert.equal(t.eventsOf('error')[0].message, 'bad url');
  await t.clock.tick(t.eventsOf('reconnecting')[0].delay);
  assert.equal(t.WS.instances.length, 1);
  t.client.close();
});

test('a socket error event is emitted as an error, the close that follows reconnects', async () => {
  const t = setup();
  await flush();
  t.ws().onerror({ type: 'error' });
  t.ws().serverClose(1006);
  assert.deepEqual(t.events.map((e) => e.name), ['error', 'close', 'reconnecting']);
  assert.equal(t.eventsOf('error')[0].code, 'unavailable');
  t.client.close();
});

test('tokenProvider errors keep the original error as cause', async () => {
  const original = new Error('login required');
  const t = setup({ token: undefined, tokenProvider: () => Promise.reject(original) });
  await flush();
  await flush();
  const [err] = t.eventsOf('error');
  assert.equal(err.code, 'unauthorized');
  assert.equal(err.cause, original);
  t.client.close();
});
