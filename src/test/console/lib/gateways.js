'use strict';
// Real gateway processes (the shaded jar built by `mvn package`) on free loopback ports, in production
// mode with fixed secrets and an admin key, as a Hazelcast cluster of their own (docs/CLUSTER.md:
// PULSE_CLUSTER_ENABLED=true, distinct HTTP and Hazelcast ports, the members listed one by one).
// Every process started here is killed when the test process ends, however it ends.
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const JAR = process.env.PULSE_JAR || path.join(ROOT, 'target', 'apex-pulse.jar');
const LOG_DIR = path.join(ROOT, 'target', 'console-tests');
const SECRET = 'console-test-secret-0123456789-0123456789';
const API_KEY = 'console-test-api-key-0123456789';
const ADMIN_KEY = 'console-test-admin-key-0123456789-abcdef';
const live = new Set();

process.on('exit', () => {
  for (const child of live) {
    try { child.kill('SIGKILL'); } catch (e) { /* gone */ }
  }
});
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => process.exit(130));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A base port with `count` free ports above it, away from Hazelcast's 5701 and the ephemeral range. */
async function freeRange(count) {
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 10000);
    let ok = true;
    for (let p = base; p < base + count && ok; p++) {
      ok = await new Promise((resolve) => {
        const s = net.createServer();
        s.once('error', () => resolve(false));
        s.listen(p, '127.0.0.1', () => s.close(() => resolve(true)));
      });
    }
    if (ok) return base;
  }
  throw new Error('no free port range');
}

let counter = 0;

class Gateway {
  constructor(name, env) {
    this.name = name;
    this.env = env;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-console-'));
    this.child = null;
  }

  get base() { return `http://127.0.0.1:${this.port}`; }

  async start() {
    if (!fs.existsSync(JAR)) throw new Error(`${JAR} is missing: build it first (mvn -B package -DskipTests)`);
    this.port = this.port || await freePort();
    fs.mkdirSync(LOG_DIR, { recursive: true });
    this.logFile = path.join(LOG_DIR, `${this.name}-${process.pid}-${++counter}.log`);
    const log = fs.createWriteStream(this.logFile);
    const env = {
      ...process.env,
      PULSE_MODE: 'production',
      PULSE_NODE_ID: `n-${this.name}`,
      PULSE_HTTP_HOST: '127.0.0.1',
      PULSE_HTTP_PORT: String(this.port),
      PULSE_HTTP_INSTANCES: '1',
      PULSE_HTTP_DEMO: 'false',
      PULSE_DB_URL: '',
      PULSE_APP_100_SECRET: SECRET,
      PULSE_APP_100_API_KEY: API_KEY,
      PULSE_ADMIN_KEY: ADMIN_KEY,
      PULSE_LIMITS_API_RATE: '100000',
      PULSE_LIMITS_API_BURST: '100000',
      PULSE_DRAIN_GRACE_SECONDS: '4',
      ...this.env,
    };
    const child = spawn('java', ['-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-jar', JAR], {
      cwd: this.dir, env, stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    live.add(child);
    // outlives a test process killed with SIGKILL just long enough to kill the JVM
    const watchdog = spawn('sh', ['-c', 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; kill -9 "$2" 2>/dev/null', 'sh',
      String(process.pid), String(child.pid)], { stdio: 'ignore', detached: true });
    watchdog.unref();
    let out = '';
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    this.exited.then(() => {
      live.delete(child);
      try { process.kill(watchdog.pid, 'SIGKILL'); } catch (e) { /* gone */ }
      log.end();
    });
    child.stdout.on('data', (b) => { out += b; log.write(b); });
    child.stderr.on('data', (b) => { out += b; log.write(b); });
    let dead = null;
    this.exited.then((r) => { dead = r; });
    const deadline = Date.now() + 90000;
    while (Date.now() < deadline) {
      if (dead) throw new Error(`${this.name} exited (${JSON.stringify(dead)}) before it was ready:\n${out.slice(-3000)}`);
      if (await this.ready()) return this;
      await sleep(150);
    }
    await this.kill();
    throw new Error(`${this.name} not ready within 90 s:\n${out.slice(-3000)}`);
  }

  async ready() {
    try {
      return (await fetch(`${this.base}/health/ready`)).status === 200;
    } catch (e) {
      return false;
    }
  }

  get running() { return !!this.child && this.child.exitCode === null && this.child.signalCode === null; }

  /** SIGTERM (drains), SIGKILL after 20 s. */
  async stop() {
    const child = this.child;
    if (!child) return;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 20000);
      await this.exited;
      clearTimeout(t);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  async kill() {
    if (this.child && this.running) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  async request(method, url, body, bearer = API_KEY) {
    const r = await fetch(`${this.base}${url}`, {
      method,
      headers: { Authorization: `Bearer ${bearer}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await r.text();
    let json = null;
    try { json = JSON.parse(text); } catch (e) { /* not JSON */ }
    return { status: r.status, json, text };
  }

  admin(method, url, body) {
    return this.request(method, `/api/v1/admin${url}`, body, ADMIN_KEY);
  }
}

/** `count` nodes forming one Hazelcast cluster of their own; resolves once every node is ready. */
async function startNodes(count, { env = {} } = {}) {
  const hzBase = await freeRange(count);
  const members = Array.from({ length: count }, (_, i) => `127.0.0.1:${hzBase + i}`).join(',');
  const name = `console-${Date.now().toString(36)}`;
  const nodes = [];
  for (let i = 0; i < count; i++) {
    const label = String.fromCharCode(97 + i); // a, b, …
    nodes.push(new Gateway(label, {
      PULSE_CLUSTER_ENABLED: 'true',
      PULSE_CLUSTER_NAME: name,
      PULSE_CLUSTER_PORT: String(hzBase + i),
      PULSE_CLUSTER_PORT_COUNT: '1',
      PULSE_CLUSTER_MEMBERS: members,
      PULSE_CLUSTER_EVENT_BUS_HOST: '127.0.0.1',
      ...env,
    }));
  }
  // one after the other: the first forms the cluster, two JVMs starting at once on 2 cores are slow anyway
  try {
    for (const n of nodes) await n.start();
  } catch (e) {
    await Promise.all(nodes.map((n) => n.kill()));
    throw e;
  }
  return nodes;
}

// ---------------------------------------------------------------- tokens and clients

function b64url(buf) {
  return Buffer.from(buf).toString('base64').replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
}

/** An HS256 token for app 100, as the PL/SQL kit signs them. */
function token(user, ttlSeconds = 3600) {
  const now = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = b64url(JSON.stringify({ sub: user, app: '100', iat: now, exp: now + ttlSeconds,
    sub_ch: ['**'], pub_ch: ['**'] }));
  const sig = b64url(crypto.createHmac('sha256', SECRET).update(`${header}.${payload}`).digest());
  return `${header}.${payload}.${sig}`;
}

module.exports = { Gateway, startNodes, freePort, sleep, token, ROOT, JAR, SECRET, API_KEY, ADMIN_KEY };
