'use strict';
// A real nginx (Debian's /usr/sbin/nginx) in front of one or more gateways, on loopback, with its own
// prefix directory and configuration, stopped after the test. Configured like a corporate proxy that
// lets no WebSocket through: a plain proxy_pass that does not pass Upgrade/Connection (so /ws arrives
// as an ordinary GET and is refused), nginx's defaults otherwise (HTTP/1.0 towards the upstream,
// response buffering on: the gateway's X-Accel-Buffering: no header must turn it off), and a short
// proxy_read_timeout that cuts streams idle for longer. Several upstreams are balanced round-robin,
// without any stickiness. Every request is logged with the upstream that served it.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { freePort, sleep } = require('./gateway');

const NGINX = process.env.NGINX_PATH || '/usr/sbin/nginx';
const live = new Set();
process.on('exit', () => {
  for (const child of live) {
    try { child.kill('SIGKILL'); } catch (e) { /* gone */ }
  }
});

class Nginx {
  /**
   * @param {number[]} upstreams gateway ports
   * @param {object} [options]
   * @param {string} [options.readTimeout] proxy_read_timeout (default 60s, nginx's)
   */
  constructor(upstreams, options = {}) {
    this.upstreams = upstreams;
    this.readTimeout = options.readTimeout || '60s';
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pulse-nginx-'));
    this.child = null;
  }

  get base() { return `http://127.0.0.1:${this.port}`; }

  config() {
    const d = this.dir;
    // one process, no master: a stop (or a SIGKILL when the test process dies) leaves no orphaned worker
    return `daemon off;
master_process off;
pid ${d}/nginx.pid;
error_log ${d}/error.log info;
events { worker_connections 512; }
http {
  log_format upstreams '$request_method $uri $status $upstream_addr';
  access_log ${d}/access.log upstreams;
  client_body_temp_path ${d}/body;
  proxy_temp_path ${d}/proxy;
  fastcgi_temp_path ${d}/fastcgi;
  uwsgi_temp_path ${d}/uwsgi;
  scgi_temp_path ${d}/scgi;
  upstream pulse {
${this.upstreams.map((p) => `    server 127.0.0.1:${p} max_fails=0;`).join('\n')}
  }
  server {
    listen 127.0.0.1:${this.port};
    location / {
      proxy_pass http://pulse;
      proxy_read_timeout ${this.readTimeout};
    }
  }
}
`;
  }

  async start() {
    if (!fs.existsSync(NGINX)) throw new Error(`${NGINX} is missing: apt-get install -y nginx (.ci/run does it)`);
    this.port = await freePort();
    fs.writeFileSync(path.join(this.dir, 'nginx.conf'), this.config());
    const child = spawn(NGINX, ['-p', this.dir, '-c', path.join(this.dir, 'nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    live.add(child);
    let out = '';
    child.stdout.on('data', (b) => { out += b; });
    child.stderr.on('data', (b) => { out += b; });
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => { live.delete(child); resolve({ code, signal }); }));
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`nginx exited at start: ${out}`);
      try {
        await fetch(`${this.base}/`, { signal: AbortSignal.timeout(1000) });
        return this;
      } catch (e) {
        await sleep(100);
      }
    }
    await this.stop();
    throw new Error(`nginx not listening within 10 s: ${out}`);
  }

  /** The access log as [{method, uri, status, upstream}]. */
  requests() {
    const file = path.join(this.dir, 'access.log');
    if (!fs.existsSync(file)) return [];
    return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => {
      const [method, uri, status, upstream] = line.split(' ');
      return { method, uri, status: Number(status), upstream };
    });
  }

  errorLog() {
    const file = path.join(this.dir, 'error.log');
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  }

  async stop() {
    const child = this.child;
    if (!child) return;
    this.child = null;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM'); // fast shutdown
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await this.exited;
      clearTimeout(t);
    }
  }

  async close() {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

module.exports = { Nginx };
