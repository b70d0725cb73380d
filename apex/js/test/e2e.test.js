'use strict';
// The client against real sockets on loopback: a tiny protocol-v1 server built on the `ws`
// package (dev dependency; skipped when not installed), the `ws` client as WebSocket, real timers.
const test = require('node:test');
const assert = require('node:assert/strict');
const { loadPulse } = require('./helpers');

let ws = null;
try {
  ws = require('ws');
} catch (e) {
  ws = null;
}

const pulse = loadPulse();
const { encodeBinary, decodeBinary } = pulse._internal;

/** Minimal server: one channel history, welcome, subscribe with since/replay, publish, ping. */
function startServer() {
  const history = []; // {offset, data}
  const sockets = new Set();
  const tokens = [];
  const wss = new ws.WebSocketServer({ host: '127.0.0.1', port: 0 });
  const broadcast = (offset, data) => {
    for (const s of sockets) if (s.subscribed) s.send(JSON.stringify({ type: 'message', channel: 'c', offset, data, from: 'srv' }));
  };
  const append = (data) => {
    const offset = history.length + 1;
    history.push({ offset, data });
    return offset;
  };
  wss.on('connection', (sock, req) => {
    tokens.push(new URL(req.url, 'http://x').searchParams.get('token'));
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.send(JSON.stringify({ type: 'welcome', connection: 'c-' + tokens.length, node: 'n-1', heartbeat: 25 }));
    sock.on('message', (raw, isBinary) => {
      if (isBinary) {
        const m = decodeBinary(raw);
        const offset = append('<binary>');
        sock.send(JSON.stringify({ type: 'ack', id: m.offset, offset }));
        for (const s of sockets) if (s.subscribed) s.send(encodeBinary('c', offset, m.payload));
        return;
      }
      const f = JSON.parse(raw.toString());
      if (f.type === 'subscribe') {
        sock.subscribed = true;
        const head = history.length;
        sock.send(JSON.stringify({ type: 'subscribed', id: f.id, channel: f.channel, offset: head, epoch: 'E', recovered: true }));
        if (f.since) for (const h of history.slice(f.since.offset)) sock.send(JSON.stringify({ type: 'message', channel: 'c', offset: h.offset, data: h.data }));
      } else if (f.type === 'publish') {
        const offset = append(f.data);
        sock.send(JSON.stringify({ type: 'ack', id: f.id, offset }));
        broadcast(offset, f.data);
      } else if (f.type === 'ping') {
        sock.send(JSON.stringify({ type: 'pong', id: f.id }));
      }
    });
  });
  return new Promise((resolve) => wss.on('listening', () => resolve({
    url: `ws://127.0.0.1:${wss.address().port}/ws`,
    tokens,
    sockets,
    append,
    broadcast,
    close: () => new Promise((r) => { for (const s of sockets) s.terminate(); wss.close(r); }),
  })));
}

function waitFor(predicate, ms = 2000) {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const check = () => {
      if (predicate()) return resolve();
      if (Date.now() - start > ms) return reject(new Error('timed out waiting'));
      setTimeout(check, 5);
    };
    check();
  });
}

test('real sockets: subscribe, publish (JSON and binary), drop, reconnect and replay', { skip: !ws && 'ws not installed (npm install)' }, async () => {
  const server = await startServer();
  let n = 0;
  const client = pulse.connect({
    url: server.url,
    tokenProvider: async () => 'tok' + ++n,
    WebSocket: ws.WebSocket,
    backoff: { initial: 20, max: 50, factor: 2 },
  });
  try {
    const got = [];
    const sub = client.subscribe('c', (data, meta) => got.push([meta.offset, meta.binary ? [...new Uint8Array(data)] : data]));
    assert.equal((await sub.ready).offset, 0);
    assert.deepEqual(await client.publish('c', { text: 'hi' }), { offset: 1 });
    assert.deepEqual(await client.publish('c', new Uint8Array([0x00, 0xff])), { offset: 2 });
    await waitFor(() => got.length === 2);

    // Kill the connection; publish meanwhile from the "server side"; the client must replay.
    const closed = new Promise((r) => client.on('close', r));
    for (const s of server.sockets) s.terminate();
    await closed;
    server.append('missed-1');
    server.append('missed-2');
    await waitFor(() => got.length === 4);
    server.broadcast(server.append('live'), 'live');
    await waitFor(() => got.length === 5);
    assert.deepEqual(got, [[1, { text: 'hi' }], [2, [0x00, 0xff]], [3, 'missed-1'], [4, 'missed-2'], [5, 'live']]);
    assert.deepEqual(server.tokens, ['tok1', 'tok2']);
  } finally {
    client.close();
    await server.close();
  }
});
