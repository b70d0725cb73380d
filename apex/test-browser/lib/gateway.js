'use strict';
// Starts the real gateway (the shaded jar built by `mvn package`) as a child process on a free
// loopback port, in dev mode so that /dev/token and the demo pages are there. Every process started
// here is killed when the test process ends, however it ends: on a normal stop, on 'exit', and by a
// watchdog shell that outlives a test process killed with SIGKILL just long enough to kill the JVM.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const JAR = process.env.PULSE_JAR || path.join(ROOT, 'target', 'apex-pulse.jar');
const LOG_DIR = path.join(ROOT, 'target', 'browser-tests');
const live = new Set();

process.on('exit', () => {
  for (const child of live) {
    try { child.kill('SIGKILL'); } catch (e) { /* gone */ }
  }
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => process.exit(130));
}

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

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let counter = 0;

class Gateway {
  /**
   * @param {object} [options]
   * @param {number} [options.port] default: a free port
   * @param {object} [options.env]  extra PULSE_* variables
   * @param {string} [options.name] for the log file name
   */
  constructor(options = {}) {
    this.port = options.port || 0;
    this.env = options.env || {};
    this.name = options.name || 'gateway';
    // one working directory per gateway: the embedded database file (./data) starts empty and
    // survives a restart of this gateway, and nothing is written into the repository
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-browser-'));
    this.child = null;
    this.apiKey = null;
    this.starts = 0;
  }

  get base() { return `http://127.0.0.1:${this.port}`; }

  async start() {
    if (!fs.existsSync(JAR)) {
      throw new Error(`${JAR} is missing: build it first (mvn -B package -DskipTests, or mvn -B verify)`);
    }
    if (!this.port) this.port = await freePort();
    this.starts++;
    fs.mkdirSync(LOG_DIR, { recursive: true });
    const logFile = path.join(LOG_DIR, `${this.name}-${process.pid}-${++counter}.log`);
    const log = fs.createWriteStream(logFile);
    this.logFile = logFile;
    const env = {
      ...process.env,
      PULSE_MODE: 'dev',
      PULSE_HTTP_HOST: '127.0.0.1',
      PULSE_HTTP_PORT: String(this.port),
      PULSE_HTTP_INSTANCES: '2',
      PULSE_AUTH_LEEWAY_SECONDS: '0',   // an expired token is refused at once (token refresh test)
      PULSE_DRAIN_GRACE_SECONDS: '2',
      ...this.env,
    };
    const child = spawn('java', ['-Xmx384m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-jar', JAR], {
      cwd: this.dir, env, stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    live.add(child);
    const watchdog = spawn('sh', ['-c', 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; kill -9 "$2" 2>/dev/null', 'sh',
      String(process.pid), String(child.pid)], { stdio: 'ignore', detached: true });
    watchdog.unref();
    this.watchdog = watchdog;
    let out = '';
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    this.exited = exited;
    exited.then(() => {
      live.delete(child);
      try { process.kill(watchdog.pid, 'SIGKILL'); } catch (e) { /* gone */ }
    });
    child.stdout.on('data', (b) => { out += b; log.write(b); });
    child.stderr.on('data', (b) => { out += b; log.write(b); });
    exited.then(() => log.end());

    const deadline = Date.now() + 60000;
    let dead = null;
    exited.then((r) => { dead = r; });
    while (Date.now() < deadline) {
      if (dead) throw new Error(`gateway exited (${JSON.stringify(dead)}) before it was ready:\n${out.slice(-3000)}`);
      // dev mode generates the app's secret and API key at every start and prints them: the test
      // publishes with the key, the pages fetch tokens from /dev/token; a gateway given its key (a
      // cluster shares one) prints none
      const key = this.env.PULSE_APP_100_API_KEY || (/API key: (\S+)/.exec(out) || [])[1];
      if (key && await this.ready()) {
        this.apiKey = key;
        return this;
      }
      await sleep(100);
    }
    await this.stop();
    throw new Error(`gateway not ready within 60 s:\n${out.slice(-3000)}`);
  }

  async ready() {
    try {
      const r = await fetch(`${this.base}/health/ready`);
      return r.status === 200;
    } catch (e) {
      return false;
    }
  }

  /** SIGTERM (the gateway drains: sockets get 1012), SIGKILL after 15 s. */
  async stop() {
    const child = this.child;
    if (!child) return;
    this.child = null;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 15000);
      await this.exited;
      clearTimeout(t);
    }
  }

  /** Stops and removes the working directory. */
  async close() {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  async request(method, url, body, bearer = this.apiKey) {
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

  /** Publishes through the HTTP API with the app's API key; resolves with the offset. */
  async publish(channel, data, app = '100') {
    const r = await this.request('POST', `/api/v1/apps/${app}/publish`, { channel, data });
    if (r.status !== 200) throw new Error(`publish to ${channel}: HTTP ${r.status} ${r.text}`);
    return r.json.results[0].offset;
  }

  /** The app's scheduled jobs, or null when this gateway has no scheduler (GET /api/v1/jobs). */
  async jobs() {
    const r = await this.request('GET', '/api/v1/jobs');
    return r.status === 200 ? r.json.jobs : null;
  }
}

/** An HS256 token for app 100 (the format of auth_pkg.generate_token), for gateways given their secret. */
function mintToken(secret, user, ttlSeconds = 3600) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: user, app: '100', iat: now, exp: now + ttlSeconds, name: user, sub_ch: ['**'], pub_ch: ['**'] })}`;
  return `${input}.${require('node:crypto').createHmac('sha256', secret).update(input).digest('base64url')}`;
}

module.exports = { Gateway, freePort, sleep, mintToken, ROOT };
