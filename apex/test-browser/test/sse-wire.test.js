'use strict';
// The event-stream transport read by an independent implementation: the npm `eventsource` package
// (4.x, WHATWG EventSource for Node 20), against the real gateway. Then pulse.js itself in Node on
// that EventSource and Node's fetch, with event streams only.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { EventSource } = require('eventsource');
const { Gateway, sleep } = require('../lib/gateway');
const pulse = require('../../js/pulse.js');

const ADMIN_KEY = 'sse-wire-admin-key-0123456789';
let gw;

before(async () => {
  gw = await new Gateway({ name: 'sse-wire', env: { PULSE_ADMIN_KEY: ADMIN_KEY } }).start();
});

after(async () => {
  if (gw) await gw.close();
});

async function token(user, ttl) {
  const r = await fetch(`${gw.base}/dev/token?app=100&user=${user}${ttl ? `&ttl=${ttl}` : ''}`);
  return (await r.json()).token;
}

/** An EventSource whose events are queued: next() resolves with the next one. */
function open(url) {
  const es = new EventSource(url);
  const events = [];
  const waiting = [];
  const errors = [];
  es.onmessage = (ev) => {
    const item = { type: ev.type, lastEventId: ev.lastEventId, data: ev.data, frame: JSON.parse(ev.data) };
    const w = waiting.shift();
    if (w) w(item); else events.push(item);
  };
  es.onerror = (e) => errors.push(e);
  return {
    es,
    errors,
    next(ms = 5000) {
      if (events.length) return Promise.resolve(events.shift());
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no event within ' + ms + ' ms')), ms);
        waiting.push((item) => { clearTimeout(t); resolve(item); });
      });
    },
    async nextOf(type) {
      for (;;) {
        const e = await this.next();
        if (e.frame.type === type) return e;
      }
    },
  };
}

function post(session, body, headers = {}) {
  return fetch(`${gw.base}/sse/${session}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

test('every event is a plain message event whose data is one protocol frame; the first a welcome with a session', async () => {
  const s = open(`${gw.base}/sse?token=${await token('wire')}`);
  try {
    const welcome = await s.next();
    assert.equal(welcome.type, 'message');
    assert.equal(welcome.lastEventId, '');
    assert.equal(welcome.frame.type, 'welcome');
    assert.match(welcome.frame.session, /^[0-9a-f]{8}\.[A-Za-z0-9_-]{24}$/);
    assert.equal(typeof welcome.frame.heartbeat, 'number');
    const session = welcome.frame.session;

    const r = await post(session, [{ type: 'subscribe', id: 1, channel: 'wire/a' }, { type: 'ping', id: 2 }]);
    assert.equal(r.status, 202);
    const sub = await s.nextOf('subscribed');
    assert.equal(sub.frame.id, 1);
    assert.equal((await s.nextOf('pong')).frame.id, 2);

    const data = { text: 'héllo', lines: 'a\nb', n: [1, 2, 3] };
    const offset = await gw.publish('wire/a', data);
    const m = await s.nextOf('message');
    assert.deepEqual(m.frame, { type: 'message', channel: 'wire/a', offset, data });
    assert.equal(m.type, 'message');

    // a binary message: base64 with binary:true, as history shows it
    const bytes = Buffer.from([0, 1, 2, 250, 10, 13]);
    const b = await fetch(`${gw.base}/api/v1/apps/100/publish?channel=wire/a`, {
      method: 'POST', headers: { Authorization: `Bearer ${gw.apiKey}`, 'Content-Type': 'application/octet-stream' }, body: bytes,
    });
    assert.equal(b.status, 200);
    const bin = await s.nextOf('message');
    assert.equal(bin.frame.binary, true);
    assert.deepEqual(Buffer.from(bin.frame.data, 'base64'), bytes);

    // the console lists the stream with its transport
    const list = await (await fetch(`${gw.base}/api/v1/admin/connections?user=wire`, { headers: { Authorization: `Bearer ${ADMIN_KEY}` } })).json();
    assert.equal(list.connections.length, 1);
    assert.equal(list.connections[0].transport, 'sse');
    assert.equal(list.connections[0].channels, 1);

    assert.deepEqual(s.errors, []);
  } finally {
    s.es.close();
  }
});

test('a server-side close is a close frame, then the end; EventSource reopening on its own gets a fresh welcome', async () => {
  const s = open(`${gw.base}/sse?token=${await token('closing')}`);
  try {
    const first = (await s.next()).frame;
    const r = await fetch(`${gw.base}/api/v1/admin/connections/${first.connection}/disconnect`, {
      method: 'POST', headers: { Authorization: `Bearer ${ADMIN_KEY}` },
    });
    assert.equal(r.status, 200);
    const close = await s.nextOf('close');
    assert.deepEqual(close.frame, { type: 'close', code: 1008, reason: 'disconnected by an operator' });
    // EventSource retries by itself (after its reconnection time, 3 s by default): a new stream, a new session
    const again = await s.next(15000);
    assert.equal(again.frame.type, 'welcome');
    assert.notEqual(again.frame.session, first.session);
    assert.ok(s.errors.length >= 1, 'the end of the stream showed as an error event');
    // the old session is gone
    const gone = await post(first.session, { type: 'ping' });
    assert.equal(gone.status, 404);
    assert.equal((await gone.json()).error.code, 'unknown_session');
  } finally {
    s.es.close();
  }
});

test('pulse.js on event streams only, in Node (npm eventsource + fetch): subscribe, publish, presence, recovery', async () => {
  let tokens = 0;
  const client = pulse.connect({
    url: `ws://127.0.0.1:${gw.port}/ws`,
    transports: ['sse'],
    EventSource,
    tokenProvider: async () => { tokens++; return token('node-client'); },
  });
  try {
    const got = [];
    const sub = client.subscribe('wire/js', (data, meta) => got.push([meta.offset, data]));
    const reply = await sub.ready;
    assert.equal(client.transport, 'sse');
    assert.ok(client.welcome.session);
    const { offset } = await client.publish('wire/js', { from: 'js' });
    assert.equal(offset, reply.offset + 1);
    const p = await client.presence('wire/js');
    assert.equal(p.count, 1);
    await gw.publish('wire/js', 'from the API');
    for (let i = 0; i < 50 && got.length < 2; i++) await sleep(50);
    assert.deepEqual(got.map((g) => g[1]), [{ from: 'js' }, 'from the API']);

    // the stream ends (an operator disconnects it): a new stream, resubscribed with since
    const before = client.welcome.session;
    await fetch(`${gw.base}/api/v1/admin/users/disconnect`, {
      method: 'POST', headers: { Authorization: `Bearer ${ADMIN_KEY}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ app: '100', user: 'node-client' }),
    });
    await gw.publish('wire/js', 'while away');
    for (let i = 0; i < 100 && !(client.connected && client.welcome.session !== before); i++) await sleep(50);
    assert.notEqual(client.welcome.session, before);
    for (let i = 0; i < 100 && got.length < 3; i++) await sleep(50);
    assert.deepEqual(got.map((g) => g[1]), [{ from: 'js' }, 'from the API', 'while away']);
    assert.ok(tokens >= 2);
  } finally {
    client.close();
  }
});
