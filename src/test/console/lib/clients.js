'use strict';
// Test clients: apex/js/pulse.js itself (the client browsers use, with its reconnect logic), on the
// `ws` package, each subscribed to a channel; they record their welcomes and close codes.
const WebSocket = require('ws');
const path = require('node:path');
const { ROOT, token } = require('./gateways');

const pulse = require(path.join(ROOT, 'apex', 'js', 'pulse.js'));

class TestClient {
  constructor(url, user, channel) {
    this.user = user;
    this.welcomes = [];
    this.closes = [];
    this.messages = 0;
    this.client = pulse.connect({ url, token: token(user), WebSocket, restartDelay: 300,
      backoff: { initial: 300, max: 2000, factor: 2 } });
    this.client.on('welcome', (w) => this.welcomes.push(w));
    this.client.on('close', (e) => { if (e.code !== 1000) this.closes.push(e.code); });
    this.client.on('error', () => { /* reconnects by itself */ });
    this.sub = this.client.subscribe(channel, () => { this.messages++; });
  }

  /** The node of the current connection (from its last welcome), once connected. */
  get node() {
    return this.client.connected && this.welcomes.length ? this.welcomes[this.welcomes.length - 1].node : null;
  }

  ready() { return this.sub.ready; }

  close() { this.client.close(); }
}

async function until(what, fn, timeout = 10000, every = 50) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`not within ${timeout} ms: ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

module.exports = { TestClient, until, pulse };
