'use strict';
// A TCP load balancer on loopback in front of the nodes, as a Kubernetes Service would be: new
// connections go round-robin to the nodes whose /health/ready answers 200 (checked every 100 ms), so a
// draining node (not ready at once) gets no new clients and its clients reconnect to the others.
const net = require('node:net');

class Balancer {
  constructor(nodes) {
    this.nodes = nodes;
    this.healthy = new Set(nodes);
    this.next = 0;
    this.sockets = new Set();
  }

  async start() {
    this.server = net.createServer((c) => this.accept(c));
    await new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', resolve);
    });
    this.port = this.server.address().port;
    this.timer = setInterval(() => this.check(), 100);
    return this;
  }

  get wsUrl() { return `ws://127.0.0.1:${this.port}/ws`; }

  async check() {
    await Promise.all(this.nodes.map(async (n) => {
      if (n.running && await n.ready()) this.healthy.add(n);
      else this.healthy.delete(n);
    }));
  }

  accept(client) {
    const up = this.nodes.filter((n) => this.healthy.has(n));
    if (!up.length) {
      client.destroy();
      return;
    }
    const node = up[this.next++ % up.length];
    const upstream = net.connect(node.port, '127.0.0.1');
    const end = () => {
      this.sockets.delete(client);
      client.destroy();
      upstream.destroy();
    };
    this.sockets.add(client);
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  close() {
    clearInterval(this.timer);
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

module.exports = { Balancer };
