'use strict';
// Test doubles: a manual clock and a scriptable WebSocket, both injected through connect()'s
// options, so the tests run in milliseconds and never touch the network or real timers.

const path = require('node:path');

/** Which build to test: PULSE_BUILD=min runs the suite against pulse.min.js. */
function loadPulse(file) {
  const name = file || (process.env.PULSE_BUILD === 'min' ? 'pulse.min.js' : 'pulse.js');
  return require(path.join(__dirname, '..', name));
}

/** Let pending promise callbacks (microtasks) run. */
function flush() {
  return new Promise((resolve) => setImmediate(resolve));
}

class FakeClock {
  constructor() {
    this.time = 0;
    this.seq = 0;
    this.timers = new Map();
    // Bound so they can be passed around like the globals.
    this.setTimeout = (fn, ms) => {
      const id = ++this.seq;
      this.timers.set(id, { at: this.time + Math.max(0, Number(ms) || 0), fn, id });
      return id;
    };
    this.clearTimeout = (id) => { this.timers.delete(id); };
    this.now = () => this.time;
  }

  /** Advance time by ms, firing due timers in order (and letting promises settle in between). */
  async tick(ms) {
    const end = this.time + ms;
    await flush();
    for (;;) {
      let next = null;
      for (const t of this.timers.values()) {
        if (t.at <= end && (next === null || t.at < next.at || (t.at === next.at && t.id < next.id))) next = t;
      }
      if (next === null) break;
      this.timers.delete(next.id);
      this.time = next.at;
      next.fn();
      await flush();
    }
    this.time = end;
    await flush();
  }

  /** Delays of the timers currently scheduled, relative to now. */
  pendingDelays() {
    return [...this.timers.values()].map((t) => t.at - this.time);
  }
}

/** Creates a FakeWebSocket class with its own list of instances. */
function fakeWebSocketClass() {
  class FakeWebSocket {
    constructor(url) {
      this.url = url;
      this.readyState = 0;
      this.binaryType = 'blob';
      this.sent = [];
      this.closeCalls = [];
      FakeWebSocket.instances.push(this);
    }

    send(data) {
      if (this.readyState !== 1) throw new Error('InvalidStateError: not open');
      this.sent.push(data);
    }

    close(code, reason) {
      this.closeCalls.push({ code, reason });
      this.readyState = 3;
    }

    // --- driven by the test, playing the server ---

    open() {
      this.readyState = 1;
      if (this.onopen) this.onopen({ type: 'open' });
    }

    /** open + welcome, the normal start of a session */
    accept(welcome) {
      this.open();
      this.receive(Object.assign({ type: 'welcome', connection: 'c-1', node: 'n-1', heartbeat: 25 }, welcome || {}));
    }

    receive(frame) {
      let data = frame;
      if (!(typeof frame === 'string' || frame instanceof ArrayBuffer || ArrayBuffer.isView(frame))) {
        data = JSON.stringify(frame);
      }
      if (this.onmessage) this.onmessage({ data });
    }

    serverClose(code, reason) {
      this.readyState = 3;
      if (this.onclose) this.onclose({ code, reason: reason || '', wasClean: true });
    }

    /** Text frames sent by the client, parsed. */
    json() {
      return this.sent.filter((d) => typeof d === 'string').map((d) => JSON.parse(d));
    }

    lastJson(type) {
      const all = this.json().filter((f) => !type || f.type === type);
      return all[all.length - 1];
    }

    binary() {
      return this.sent.filter((d) => typeof d !== 'string');
    }
  }
  FakeWebSocket.instances = [];
  FakeWebSocket.last = () => FakeWebSocket.instances[FakeWebSocket.instances.length - 1];
  return FakeWebSocket;
}

/**
 * Creates a FakeEventSource class (the server's side of an event stream, driven by the test) and a fake
 * fetch that records the POSTs and answers them when the test says so.
 */
function fakeEventStream() {
  class FakeEventSource {
    constructor(url) {
      this.url = url;
      this.closed = false;
      FakeEventSource.instances.push(this);
    }

    close() { this.closed = true; }

    // --- driven by the test, playing the server ---

    /** One event whose data is the frame. */
    receive(frame) {
      if (!this.closed && this.onmessage) this.onmessage({ data: typeof frame === 'string' ? frame : JSON.stringify(frame) });
    }

    /** The welcome with a session: the stream is open from here. */
    accept(welcome) {
      this.receive(Object.assign({ type: 'welcome', session: 'r1.s', connection: 'c-1', node: 'n-1', heartbeat: 25 }, welcome || {}));
    }

    /** A failure of the stream (EventSource would retry; the client must not let it). */
    fail() {
      if (!this.closed && this.onerror) this.onerror({});
    }
  }
  FakeEventSource.instances = [];
  FakeEventSource.last = () => FakeEventSource.instances[FakeEventSource.instances.length - 1];

  const posts = [];
  const fetch = (url, init) => new Promise((resolve, reject) => {
    posts.push({
      url,
      init,
      type: init.headers['Content-Type'],
      frames: () => { const b = JSON.parse(init.body); return Array.isArray(b) ? b : [b]; },
      answer: (status) => resolve({ status, text: () => Promise.resolve('') }),
      fail: () => reject(new TypeError('Failed to fetch')),
    });
  });
  return { EventSource: FakeEventSource, fetch, posts };
}

/**
 * A client wired to a fake clock and fake sockets; `random` defaults to 0.5 so delays are
 * predictable. Returns helpers plus an event log.
 */
function setup(opts) {
  const pulse = loadPulse(opts && opts.build);
  const clock = new FakeClock();
  const WS = fakeWebSocketClass();
  const options = Object.assign(
    { url: 'ws://localhost:8080/ws', token: 'T0', WebSocket: WS, clock, random: () => 0.5 },
    opts || {},
  );
  delete options.build;
  const client = pulse.connect(options);
  const events = [];
  for (const name of ['open', 'close', 'reconnecting', 'error', 'welcome', 'recovery', 'join', 'leave', 'transport', 'resync']) {
    client.on(name, (arg) => events.push({ name, arg }));
  }
  return {
    pulse,
    clock,
    WS,
    client,
    events,
    eventsOf: (name) => events.filter((e) => e.name === name).map((e) => e.arg),
    ws: () => WS.last(),
  };
}

/** Start a client and bring it to the welcome state. */
async function connected(opts) {
  const t = setup(opts);
  await flush();
  t.ws().accept();
  await flush();
  return t;
}

module.exports = { loadPulse, flush, FakeClock, fakeWebSocketClass, fakeEventStream, setup, connected };
