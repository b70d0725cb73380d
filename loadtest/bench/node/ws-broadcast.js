// The Node `ws` peer of BaselineServer.java (same wire behaviour, so one load generator measures
// both): a socket opened on any path with ?channel=X is subscribed and gets
// {"type":"subscribed","channel":X,"offset":0}; POST /publish takes the gateway's publish body, numbers
// each message per channel and sends the same frame, encoded once, to every socket of the channel.
// No auth, no protocol, no history, no limits. One process, one event loop: how `ws` is run.
// POST /gc (the benchmark's jcmd GC.run) needs node --expose-gc.
//
// Usage: node --expose-gc ws-broadcast.js PORT
'use strict';
const http = require('node:http');
const { WebSocketServer } = require('ws');

const channels = new Map(); // channel -> Set of sockets
const offsets = new Map(); // channel -> last offset

const server = http.createServer({ noDelay: true }, (req, res) => {
  const json = (status, body) => res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  if (req.url.startsWith('/health')) return json(200, { status: 'UP' });
  if (req.url === '/gc') {
    global.gc();
    global.gc();
    return json(200, process.memoryUsage());
  }
  if (req.url !== '/publish') return res.writeHead(404).end();
  const chunks = [];
  req.on('data', (c) => chunks.push(c)).on('end', () => {
    let o;
    try {
      o = JSON.parse(Buffer.concat(chunks));
    } catch (e) {
      return json(400, { error: String(e) });
    }
    const results = (o.messages || [o]).map(({ channel, data }) => {
      const offset = (offsets.get(channel) || 0) + 1;
      offsets.set(channel, offset);
      const frame = Buffer.from(`{"type":"message","channel":"${channel}","offset":${offset},"data":${JSON.stringify(data)}}`);
      for (const ws of channels.get(channel) || []) {
        if (ws.readyState === ws.OPEN) ws.send(frame, { binary: false });
      }
      return { channel, offset };
    });
    json(200, { results });
  });
});

new WebSocketServer({ server, perMessageDeflate: false, clientTracking: false }).on('connection', (ws, req) => {
  const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
  const channel = query.replace(/^.*channel=([^&]*).*$/, '$1');
  if (!channels.has(channel)) channels.set(channel, new Set());
  channels.get(channel).add(ws);
  ws.on('close', () => channels.get(channel).delete(ws));
  ws.send(`{"type":"subscribed","channel":"${channel}","offset":0}`);
});

// a backlog as deep as the kernel allows (Netty's default is SOMAXCONN too; Node's own is 511)
server.listen({ host: '127.0.0.1', port: Number(process.argv[2]), backlog: 65535 }, () => {
  console.log(`node-ws ready on 127.0.0.1:${process.argv[2]}`);
});
