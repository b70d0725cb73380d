'use strict';
// A TCP proxy in front of the gateway, to cut the network under a page without touching the
// gateway: cut() destroys every open connection (the browser sees its WebSocket drop with 1006, no
// close frame) and refuses new ones until restore().
const net = require('node:net');

class Proxy {
  constructor(targetPort) {
    this.targetPort = targetPort;
    this.up = true;
    this.pairs = new Set();
    this.server = net.createServer((client) => this.accept(client));
  }

  async start() {
    await new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', resolve);
    });
    this.port = this.server.address().port;
    return this;
  }

  get base() { return `http://127.0.0.1:${this.port}`; }

  accept(client) {
    if (!this.up) {
      client.destroy();
      return;
    }
    const upstream = net.connect(this.targetPort, '127.0.0.1');
    const pair = [client, upstream];
    this.pairs.add(pair);
    const end = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  cut() {
    this.up = false;
    for (const [a, b] of this.pairs) {
      a.resetAndDestroy ? a.resetAndDestroy() : a.destroy();
      b.destroy();
    }
    this.pairs.clear();
  }

  restore() {
    this.up = true;
  }

  close() {
    this.cut();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

module.exports = { Proxy };
