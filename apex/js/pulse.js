/*!
 * apex-pulse browser client (protocol v1 over a WebSocket, or over Server-Sent Events + POST where a
 * proxy lets no WebSocket through). No dependencies, plain ES2017.
 * Browser: sets window.pulse. Node/CommonJS: module.exports. Types: pulse.d.ts.
 */
(function (root, factory) {
  'use strict';
  var pulse = factory(root);
  if (typeof module === 'object' && module && module.exports) module.exports = pulse;
  if (typeof window !== 'undefined') window.pulse = pulse;
})(typeof globalThis !== 'undefined' ? globalThis : typeof window !== 'undefined' ? window : this, function (root) {
  'use strict';

  var VERSION = '0.1.0';

  var DEFAULT_BACKOFF = { initial: 1000, max: 30000, factor: 2 };
  var DEFAULT_HEARTBEAT_MS = 25000;   // used until the server's welcome says otherwise
  var DEFAULT_REQUEST_TIMEOUT_MS = 10000;
  var DEFAULT_RESTART_DELAY_MS = 1000; // upper bound of the jittered delay after 1012/1013
  var DEFAULT_TRANSPORTS = ['websocket', 'sse'];
  var DEFAULT_CONNECT_TIMEOUT_MS = 10000; // a connection not open by then failed (proxies that hang an upgrade)
  var DEFAULT_FALLBACK_AFTER = 2;         // connections failing before open, in a row, before the next transport
  var DEFAULT_WEBSOCKET_RETRY_MS = 60000; // on a fallback transport: how often the WebSocket is tried again
  // frames sent in one tick go in one POST, up to these (a larger frame goes alone)
  var MAX_BATCH_FRAMES = 50;
  var MAX_BATCH_CHARS = 16384;
  var RATE_LIMITED_RETRY_MS = 1000;

  var BINARY_VERSION = 1;
  // version (1) + channel length (2) + offset (8); the channel bytes sit between the last two
  var BINARY_FIXED_HEADER = 11;
  var TWO_POW_32 = 4294967296;

  // Replies the server sends with the id of the request they answer.
  var REPLY_TYPES = { subscribed: 1, unsubscribed: 1, ack: 1, presence: 1, history: 1, pong: 1, error: 1 };

  var EVENT_NAME = 'pulse-message';
  var TRANSPORT_EVENT_NAME = 'pulse-transport';

  function noop() {}

  // ---------------------------------------------------------------- errors

  /** An Error carrying a protocol error code (`forbidden`, `unavailable`, ...). */
  class PulseError extends Error {
    constructor(code, message, frame) {
      super(message || code);
      this.name = 'PulseError';
      this.code = code;
      if (frame !== undefined) this.frame = frame;
    }
  }

  function errorFromFrame(f) {
    return new PulseError(f.code || 'error', f.message || f.code || 'error', f);
  }

  // A throwing user callback must not break frame processing (the next frames and the other
  // listeners still have to run), but it must not be swallowed either.
  function reportError(e) {
    if (typeof root.reportError === 'function') root.reportError(e);
    else if (typeof console !== 'undefined' && console.error) console.error(e);
  }

  function safeCall(fn, self, args) {
    try {
      return fn.apply(self, args);
    } catch (e) {
      reportError(e);
      return undefined;
    }
  }

  // ---------------------------------------------------------------- pure helpers

  /**
   * Reconnect delay for the attempt-th retry (0-based): "full jitter", a uniform random value
   * in [0, min(max, initial * factor^attempt)). Spreading retries over the whole window keeps a
   * crowd of clients that lost the same node from reconnecting in lockstep.
   */
  function backoffDelay(attempt, opts, random) {
    var o = Object.assign({}, DEFAULT_BACKOFF, opts || {});
    var ceiling = Math.min(o.max, o.initial * Math.pow(o.factor, Math.max(0, attempt)));
    if (!(ceiling > 0)) return 0;
    return Math.floor((random || Math.random)() * ceiling);
  }

  /**
   * Delay before reconnecting after a close with `code`. 1012 (node restarting) and 1013 (node
   * overloaded / we were too slow) mean "this node, not you": other nodes are fine, so come back
   * soon, still jittered so the node's clients do not all land on the survivors at once.
   */
  function reconnectDelay(code, attempt, opts, random) {
    opts = opts || {};
    if (code === 1012 || code === 1013) {
      var bound = opts.restartDelay != null ? opts.restartDelay : DEFAULT_RESTART_DELAY_MS;
      return Math.floor((random || Math.random)() * bound);
    }
    return backoffDelay(attempt, opts.backoff, random);
  }

  /** Channel names as the server keeps them: a leading "/" is dropped. */
  function normalizeChannel(channel) {
    if (typeof channel !== 'string' || channel === '' || channel === '/') {
      throw new TypeError('pulse: channel must be a non-empty string');
    }
    return channel.charAt(0) === '/' ? channel.slice(1) : channel;
  }

  function isArrayBuffer(x) {
    return x instanceof ArrayBuffer || Object.prototype.toString.call(x) === '[object ArrayBuffer]';
  }

  function isBinary(x) {
    return x != null && (isArrayBuffer(x) || ArrayBuffer.isView(x));
  }

  /** A Uint8Array view on an ArrayBuffer or any typed array / DataView / Node Buffer (no copy). */
  function toBytes(x) {
    if (isArrayBuffer(x)) return new Uint8Array(x);
    if (ArrayBuffer.isView(x)) return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
    throw new TypeError('pulse: expected an ArrayBuffer or a typed array');
  }

  function utf8Encode(s) {
    if (typeof TextEncoder === 'function') return new TextEncoder().encode(s);
    var bin = unescape(encodeURIComponent(s));
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  /** Base64 (standard, padded: how history lists binary messages) to an ArrayBuffer. */
  function base64ToBuffer(text) {
    var bin = root.atob(text);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }

  function utf8Decode(bytes) {
    if (typeof TextDecoder === 'function') return new TextDecoder('utf-8').decode(bytes);
    var bin = '';
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return decodeURIComponent(escape(bin));
  }

  /**
   * Binary frame, both directions:
   *   byte 0        format version (1)
   *   bytes 1-2     channel length N, uint16 big-endian
   *   bytes 3..3+N  channel, UTF-8
   *   next 8 bytes  offset, uint64 big-endian (server -> client: message offset;
   *                 client -> server: the request id, echoed in the ack)
   *   rest          payload
   */
  function encodeBinary(channel, offset, payload) {
    var ch = utf8Encode(channel);
    if (ch.length > 0xffff) throw new RangeError('pulse: channel too long for a binary frame');
    if (!(offset >= 0 && offset <= Number.MAX_SAFE_INTEGER && Math.floor(offset) === offset)) {
      throw new RangeError('pulse: binary frame offset must be a safe non-negative integer');
    }
    var body = toBytes(payload);
    var out = new Uint8Array(BINARY_FIXED_HEADER + ch.length + body.length);
    out[0] = BINARY_VERSION;
    out[1] = ch.length >>> 8;
    out[2] = ch.length & 0xff;
    out.set(ch, 3);
    var dv = new DataView(out.buffer, 3 + ch.length, 8);
    // No BigInt in ES2017: write the two 32-bit halves. `>>> 0` keeps the low half (mod 2^32).
    dv.setUint32(0, Math.floor(offset / TWO_POW_32));
    dv.setUint32(4, offset >>> 0);
    out.set(body, BINARY_FIXED_HEADER + ch.length);
    return out.buffer;
  }

  /** Inverse of encodeBinary. `payload` is a fresh ArrayBuffer holding only the payload bytes. */
  function decodeBinary(buf) {
    var bytes = toBytes(buf);
    if (bytes.length < BINARY_FIXED_HEADER) throw new PulseError('bad_request', 'binary frame too short');
    if (bytes[0] !== BINARY_VERSION) {
      throw new PulseError('bad_request', 'unsupported binary frame version ' + bytes[0]);
    }
    var n = (bytes[1] << 8) | bytes[2];
    if (bytes.length < BINARY_FIXED_HEADER + n) throw new PulseError('bad_request', 'binary frame truncated');
    var channel = utf8Decode(bytes.subarray(3, 3 + n));
    var dv = new DataView(bytes.buffer, bytes.byteOffset + 3 + n, 8);
    // Exact up to 2^53; offsets never get near that.
    var offset = dv.getUint32(0) * TWO_POW_32 + dv.getUint32(4);
    var start = bytes.byteOffset + BINARY_FIXED_HEADER + n;
    var payload = bytes.buffer.slice(start, bytes.byteOffset + bytes.length);
    return { version: BINARY_VERSION, channel: channel, offset: offset, payload: payload };
  }

  // ---------------------------------------------------------------- Fossil deltas

  // Fossil SCM's delta format (docs/PROTOCOL.md, Delta compression): numbers in these 64 digits.
  var FOSSIL_DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~';
  var FOSSIL_VALUE = [];
  for (var fd = 0; fd < FOSSIL_DIGITS.length; fd++) FOSSIL_VALUE[FOSSIL_DIGITS.charCodeAt(fd)] = fd;

  /** Sum of the bytes read as big-endian 32-bit words (the last one zero-padded), mod 2^32. */
  function fossilChecksum(b) {
    var sum = 0;
    var i = 0;
    for (; i + 4 <= b.length; i += 4) sum = (sum + ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3])) | 0;
    for (var shift = 24; i < b.length; i++, shift -= 8) sum = (sum + (b[i] << shift)) | 0;
    return sum >>> 0;
  }

  /**
   * Applies a Fossil delta (bytes) to a base (bytes) and returns the output bytes. Throws on anything
   * malformed, on a copy outside the base, on a length or checksum that does not match: an output is
   * returned only when it is exactly what the delta was made from.
   */
  function applyDelta(base, delta) {
    var pos = 0;
    function number() {
      var v = 0;
      var start = pos;
      while (pos < delta.length && FOSSIL_VALUE[delta[pos]] !== undefined) v = v * 64 + FOSSIL_VALUE[delta[pos++]];
      if (pos === start) throw new Error('delta: number expected at ' + start);
      return v;
    }
    var size = number();
    if (delta[pos++] !== 10) throw new Error('delta: size not followed by a newline');
    var out = new Uint8Array(size);
    var n = 0;
    while (pos < delta.length) {
      var count = number();
      var op = delta[pos++];
      if (op === 64) { // '@': copy count bytes of the base from offset
        var from = number();
        if (delta[pos++] !== 44) throw new Error('delta: copy not followed by a comma');
        if (from + count > base.length || n + count > size) throw new Error('delta: copy out of bounds');
        out.set(base.subarray(from, from + count), n);
        n += count;
      } else if (op === 58) { // ':': insert the next count bytes
        if (pos + count > delta.length || n + count > size) throw new Error('delta: insert out of bounds');
        out.set(delta.subarray(pos, pos + count), n);
        n += count;
        pos += count;
      } else if (op === 59) { // ';': end, with the output's checksum
        if (n !== size) throw new Error('delta: output shorter than announced');
        if (count !== fossilChecksum(out)) throw new Error('delta: bad checksum');
        return out;
      } else {
        throw new Error('delta: unknown command');
      }
    }
    throw new Error('delta: unterminated');
  }

  /**
   * The text of a full message frame's `data` as it arrived, the base of the next delta: after
   * `"data":`, up to `,"from":` (always the last member) when the frame has one, else to the final `}`.
   */
  function dataText(raw, hasFrom) {
    var start = raw.indexOf(',"data":');
    if (start < 0) return null;
    return raw.slice(start + 8, hasFrom ? raw.lastIndexOf(',"from":') : raw.lastIndexOf('}'));
  }

  /** Value at a dotted path ("order.total", "rows.0.name"); "" or "$" is the value itself. */
  function pick(obj, path) {
    if (path == null || path === '' || path === '$') return obj;
    var parts = String(path).split('.');
    var cur = obj;
    for (var i = 0; i < parts.length; i++) {
      if (cur == null || typeof cur !== 'object') return undefined;
      cur = cur[parts[i]];
    }
    return cur;
  }

  /**
   * Trailing debounce with a maximum wait: fires `wait` ms after the last call, but never later
   * than `maxWait` ms after the first pending call, so a steady stream still gets through.
   */
  function debounce(fn, wait, maxWait, clock) {
    var timer = null;
    var first = null;
    function fire() {
      timer = null;
      first = null;
      fn();
    }
    return {
      call: function () {
        var t = clock.now();
        if (first === null) first = t;
        if (timer !== null) clock.clearTimeout(timer);
        var delay = Math.max(0, Math.min(wait, first + maxWait - t));
        timer = clock.setTimeout(fire, delay);
      },
      cancel: function () {
        if (timer !== null) clock.clearTimeout(timer);
        timer = null;
        first = null;
      },
    };
  }

  function withToken(url, token) {
    return url + (url.indexOf('?') >= 0 ? '&' : '?') + 'token=' + encodeURIComponent(token);
  }

  /**
   * The event-stream URL that goes with a WebSocket URL: same host, http(s), `/ws` -> `/sse` (another
   * path gets `/sse` appended), same query (e.g. `?app=`).
   */
  function sseUrlOf(url) {
    var q = url.indexOf('?');
    var path = q >= 0 ? url.slice(0, q) : url;
    var query = q >= 0 ? url.slice(q) : '';
    path = path.replace(/^ws(s?):/i, 'http$1:');
    path = /\/ws$/.test(path) ? path.slice(0, -3) + '/sse' : path.replace(/\/?$/, '/sse');
    return path + query;
  }

  function base64ToArrayBuffer(b64) {
    var bin = typeof atob === 'function' ? atob(b64) : Buffer.from(b64, 'base64').toString('binary');
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }

  function defaultClock() {
    return {
      setTimeout: function (fn, ms) { return setTimeout(fn, ms); },
      clearTimeout: function (id) { clearTimeout(id); },
      now: function () { return Date.now(); },
    };
  }

  // ---------------------------------------------------------------- events

  class Emitter {
    constructor() {
      this._listeners = Object.create(null);
    }

    on(event, fn) {
      if (typeof fn !== 'function') throw new TypeError('pulse: listener must be a function');
      (this._listeners[event] || (this._listeners[event] = [])).push(fn);
      return this;
    }

    off(event, fn) {
      var list = this._listeners[event];
      if (!list) return this;
      if (!fn) {
        delete this._listeners[event];
        return this;
      }
      var i = list.indexOf(fn);
      if (i >= 0) list.splice(i, 1);
      return this;
    }

    _emit(event, arg) {
      var list = this._listeners[event];
      if (!list || !list.length) return;
      var copy = list.slice(); // a listener may call off() while we iterate
      for (var i = 0; i < copy.length; i++) safeCall(copy[i], this, [arg]);
    }
  }


  // ---------------------------------------------------------------- event-stream transport

  /**
   * Protocol v1 over Server-Sent Events, with the face of a WebSocket (readyState, onopen, onmessage,
   * onerror, onclose({code, reason}), send, close) so the client drives both alike. The server's frames
   * come on an EventSource (GET /sse); the client's go in POSTs to /sse/<session>, one at a time (so they
   * keep their order whichever node answers), the frames sent in the same tick in one POST. It is "open"
   * once the welcome named the session; a `close` frame or the end of the stream closes it with the
   * server's code (1006 without one). It never reopens by itself: the client does, with a new session.
   */
  class SseSocket {
    constructor(url, deps) {
      this.url = url;
      this.readyState = 0;
      this.onopen = this.onmessage = this.onerror = this.onclose = null;
      this._deps = deps;
      this._postUrl = null;
      this._queue = [];
      this._posting = false;
      this._flushScheduled = false;
      var self = this;
      var es = new deps.EventSource(url);
      this._es = es;
      es.onmessage = function (ev) { self._onEvent(ev.data); };
      es.onerror = function () { self._end(1006, self.readyState === 0 ? 'event stream failed' : 'event stream lost'); };
    }

    _onEvent(data) {
      if (this.readyState > 1 || typeof data !== 'string') return;
      if (data.lastIndexOf('{"type":"close"', 0) === 0) {
        var f = null;
        try { f = JSON.parse(data); } catch (e) { /* not ours */ }
        if (f && typeof f.code === 'number') {
          this._end(f.code, f.reason || '');
          return;
        }
      }
      if (this.readyState === 0) {
        var w = null;
        try { w = JSON.parse(data); } catch (e) { /* handled by the client */ }
        if (w && w.type === 'welcome' && typeof w.session === 'string') {
          this._postUrl = this._deps.postBase + '/' + encodeURIComponent(w.session);
          this.readyState = 1;
          if (this.onopen) this.onopen({});
        }
      }
      if (this.onmessage) this.onmessage({ data: data });
    }

    /** Queues a frame (a JSON string, or an ArrayBuffer for a binary frame) for the next POST. */
    send(data) {
      if (this.readyState !== 1) throw new Error('InvalidStateError: event stream not open');
      this._queue.push(data);
      if (this._posting || this._flushScheduled) return;
      this._flushScheduled = true;
      var self = this;
      Promise.resolve().then(function () {
        self._flushScheduled = false;
        self._post();
      });
    }

    _post() {
      if (this._posting || this.readyState !== 1 || !this._queue.length) return;
      var batch = [];
      var chars = 0;
      var body;
      var type = 'application/json';
      if (typeof this._queue[0] !== 'string') {
        batch.push(this._queue.shift());
        body = batch[0];
        type = 'application/octet-stream';
      } else {
        while (this._queue.length && typeof this._queue[0] === 'string' && batch.length < MAX_BATCH_FRAMES
          && (batch.length === 0 || chars + this._queue[0].length <= MAX_BATCH_CHARS)) {
          chars += this._queue[0].length;
          batch.push(this._queue.shift());
        }
        body = batch.length === 1 ? batch[0] : '[' + batch.join(',') + ']';
      }
      this._posting = true;
      var self = this;
      this._deps.fetch(this._postUrl, { method: 'POST', headers: { 'Content-Type': type }, body: body, cache: 'no-store' })
        .then(function (res) {
          self._posting = false;
          if (self.readyState !== 1) return;
          if (res.status === 202) {
            self._post();
          } else if (res.status === 429) {
            // refused before delivery: the same frames again, later
            self._queue = batch.concat(self._queue);
            self._deps.clock.setTimeout(function () { self._post(); }, RATE_LIMITED_RETRY_MS);
          } else if (res.status === 404) {
            self._end(1006, 'event stream session gone');
          } else {
            if (self.onerror) self.onerror({ status: res.status });
            self._post();
          }
        }, function () {
          self._posting = false;
          // like a failed send on a socket: this connection is not to be trusted any more
          self._end(1006, 'POST failed');
        });
    }

    close() {
      this._end(1000, 'client closed');
    }

    _end(code, reason) {
      if (this.readyState === 3) return;
      var failedBeforeOpen = this.readyState === 0;
      this.readyState = 3;
      this._queue = [];
      try { this._es.close(); } catch (e) { /* gone */ }
      if (failedBeforeOpen && code === 1006 && this.onerror) this.onerror({});
      if (this.onclose) this.onclose({ code: code, reason: reason });
    }
  }

  // ---------------------------------------------------------------- client

  class PulseClient extends Emitter {
    constructor(opts) {
      super();
      if (!opts || typeof opts.url !== 'string' || !opts.url) {
        throw new TypeError('pulse.connect: options.url is required');
      }
      var WS = opts.WebSocket || root.WebSocket;
      var ES = opts.EventSource || root.EventSource;
      var fetchFn = opts.fetch || (typeof root.fetch === 'function' ? root.fetch.bind(root) : null);
      var wanted = opts.transports == null ? DEFAULT_TRANSPORTS : opts.transports;
      if (!Array.isArray(wanted) || !wanted.length) {
        throw new TypeError('pulse.connect: options.transports must be a non-empty array of "websocket", "sse"');
      }
      // the transports this environment can use, in the page's order of preference
      var transports = [];
      wanted.forEach(function (t) {
        if (t !== 'websocket' && t !== 'sse') throw new TypeError('pulse.connect: unknown transport "' + t + '"');
        var usable = t === 'websocket' ? typeof WS === 'function' : typeof ES === 'function' && typeof fetchFn === 'function';
        if (usable && transports.indexOf(t) < 0) transports.push(t);
      });
      if (!transports.length) {
        throw new Error('pulse.connect: no WebSocket implementation available'
          + (wanted.indexOf('sse') >= 0 ? ' (nor EventSource and fetch)' : ''));
      }
      this._opts = opts;
      this._WebSocket = WS;
      this._EventSource = ES;
      this._fetch = fetchFn;
      this._transports = transports;
      this._transportIndex = 0;   // the transport the next connection uses
      this._failedBeforeOpen = 0; // connections of that transport that failed before open, in a row
      this._transport = null;     // the transport of the last connection that got a welcome
      this._connectTimeout = opts.connectTimeout > 0 ? opts.connectTimeout : DEFAULT_CONNECT_TIMEOUT_MS;
      this._fallbackAfter = opts.fallbackAfter > 0 ? opts.fallbackAfter : DEFAULT_FALLBACK_AFTER;
      this._websocketRetry = opts.websocketRetryInterval > 0 ? opts.websocketRetryInterval : DEFAULT_WEBSOCKET_RETRY_MS;
      this._sseUrl = typeof opts.sseUrl === 'string' && opts.sseUrl ? opts.sseUrl : sseUrlOf(opts.url);
      this._clock = Object.assign(defaultClock(), opts.clock || {});
      this._random = opts.random || Math.random;
      this._backoff = Object.assign({}, DEFAULT_BACKOFF, opts.backoff || {});
      this._requestTimeout = opts.requestTimeout > 0 ? opts.requestTimeout : DEFAULT_REQUEST_TIMEOUT_MS;
      this._restartDelay = opts.restartDelay != null ? opts.restartDelay : DEFAULT_RESTART_DELAY_MS;
      this._delta = opts.delta !== false; // ask for deltas; channels that allow none send full messages

      this._state = 'connecting';
      this._ws = null;
      this._ready = false;      // welcome received on the current socket: requests may be sent
      this._closed = false;     // close() was called: never reconnect
      this._gen = 0;            // connect generation, to ignore a late tokenProvider result
      this._attempt = 0;        // reconnect attempts since the last welcome
      this._seq = 0;            // request ids: one increasing sequence for the client's lifetime
      this._pending = new Map(); // id -> request sent on the current socket, awaiting its reply
      this._waiting = [];       // requests made while disconnected, sent after the next welcome
      this._channels = new Map(); // channel -> subscription state (survives reconnects)
      this._reconnectTimer = null;
      this._hbTimer = null;
      this._openTimer = null;
      this._probe = null;       // {timer, ws}: a WebSocket tried now and then while on a fallback transport
      this._switching = false;  // the current connection is being left for another transport
      this._welcome = null;

      // Connect on the next microtask so listeners attached right after connect() see every event.
      var self = this;
      Promise.resolve().then(function () { self._connect('initial'); });
    }

    /** 'connecting' | 'open' | 'ready' | 'reconnecting' | 'closed' */
    get state() { return this._state; }

    /** True once the server's welcome arrived on the current socket. */
    get connected() { return this._ready; }

    /** The last welcome frame ({connection, node, heartbeat}), or null. */
    get welcome() { return this._welcome; }

    /** The transport of the current (or last) session: 'websocket' | 'sse', or null before the first. */
    get transport() { return this._transport; }

    // ------------------------------------------------ connection lifecycle

    _connect(reason) {
      if (this._closed) return;
      this._reconnectTimer = null;
      var gen = ++this._gen;
      this._state = 'connecting';
      var provider = this._opts.tokenProvider;
      if (typeof provider !== 'function') {
        this._openSocket(this._opts.token);
        return;
      }
      // Ask for a token before every connect: a stored one may have expired while we were away.
      // `reason` lets a provider cache tokens and refresh only when the server refused one.
      var self = this;
      var settled = false;
      var timer = this._clock.setTimeout(function () {
        if (settled) return;
        settled = true;
        if (gen === self._gen) self._connectFailed(new PulseError('unavailable', 'tokenProvider timed out'));
      }, this._requestTimeout);
      Promise.resolve()
        .then(function () { return provider({ reason: reason }); })
        .then(function (token) {
          if (settled) return;
          settled = true;
          self._clock.clearTimeout(timer);
          if (gen !== self._gen || self._closed) return;
          if (typeof token !== 'string' || !token) {
            self._connectFailed(new PulseError('unauthorized', 'tokenProvider returned no token'));
            return;
          }
          self._openSocket(token);
        }, function (err) {
          if (settled) return;
          settled = true;
          self._clock.clearTimeout(timer);
          if (gen !== self._gen || self._closed) return;
          var e = new PulseError('unauthorized', (err && err.message) || String(err));
          e.cause = err;
          self._connectFailed(e);
        });
    }

    _connectFailed(err) {
      this._emit('error', err);
      this._scheduleReconnect(null);
    }

    _openSocket(token) {
      var kind = this._transports[this._transportIndex];
      var ws;
      try {
        if (kind === 'sse') {
          ws = new SseSocket(token ? withToken(this._sseUrl, token) : this._sseUrl, {
            EventSource: this._EventSource,
            fetch: this._fetch,
            postBase: this._sseUrl.split('?')[0],
            clock: this._clock,
          });
        } else {
          ws = new this._WebSocket(token ? withToken(this._opts.url, token) : this._opts.url);
        }
      } catch (e) {
        this._connectFailed(e);
        return;
      }
      try { ws.binaryType = 'arraybuffer'; } catch (e) { /* read-only in some fakes */ }
      this._ws = ws;
      this._wsKind = kind;
      this._wsOpened = false;
      var self = this;
      // a connection that does not open in time failed (a proxy may hang an upgrade rather than refuse it)
      this._openTimer = this._clock.setTimeout(function () {
        self._openTimer = null;
        if (self._ws === ws && !self._wsOpened) self._drop(4000, 'connect timeout');
      }, this._connectTimeout);
      ws.onopen = function () { if (self._ws === ws) self._onOpen(); };
      ws.onmessage = function (ev) { if (self._ws === ws) self._onFrame(ev.data); };
      ws.onerror = function (ev) {
        if (self._ws !== ws) return;
        var what = kind === 'sse' ? (ev && ev.status ? 'POST to the event stream answered ' + ev.status : 'event stream error')
          : 'WebSocket error';
        self._emit('error', new PulseError('unavailable', what));
      };
      ws.onclose = function (ev) {
        if (self._ws === ws) self._onSocketClosed(ev && ev.code, ev && ev.reason);
      };
      // The watchdog also covers the handshake: a connect that hangs is given up like a dead socket.
      this._startHeartbeat(this._opts.heartbeatInterval > 0 ? this._opts.heartbeatInterval : DEFAULT_HEARTBEAT_MS);
    }

    _onOpen() {
      this._state = 'open';
      this._wsOpened = true;
      this._failedBeforeOpen = 0;
      this._clearOpenTimer();
      this._lastFrameAt = this._clock.now();
      this._emit('open', { url: this._wsKind === 'sse' ? this._sseUrl : this._opts.url, transport: this._wsKind });
    }

    _clearOpenTimer() {
      if (this._openTimer !== null) this._clock.clearTimeout(this._openTimer);
      this._openTimer = null;
    }

    /**
     * Counts a connection that failed before it opened; after `fallbackAfter` in a row the next one uses
     * the next transport (round the list, so a server without event streams sends the client back).
     */
    _noteFailure() {
      if (this._wsOpened) return;
      this._failedBeforeOpen++;
      if (this._failedBeforeOpen >= this._fallbackAfter && this._transports.length > 1) {
        this._failedBeforeOpen = 0;
        this._transportIndex = (this._transportIndex + 1) % this._transports.length;
      }
    }

    // ------------------------------------------------ back to the WebSocket

    /** While a fallback transport is in use: try a WebSocket (no token, closed at once) now and then. */
    _scheduleProbe() {
      var ws = this._transports.indexOf('websocket');
      if (this._probe || this._closed || ws < 0 || ws >= this._transportIndex) return;
      var self = this;
      this._probe = { ws: null, timer: this._clock.setTimeout(function () { self._runProbe(); }, this._websocketRetry) };
    }

    _runProbe() {
      var probe = this._probe;
      if (!probe) return;
      var self = this;
      var done = function (opened) {
        if (self._probe !== probe) return;
        self._clock.clearTimeout(probe.timer);
        self._probe = null;
        var sock = probe.ws;
        if (sock) {
          sock.onopen = sock.onerror = sock.onclose = sock.onmessage = null;
          try { sock.close(1000, 'probe'); } catch (e) { /* closing */ }
        }
        if (opened) self._switchTo('websocket');
        else if (self._ready) self._scheduleProbe();
      };
      try {
        probe.ws = new this._WebSocket(this._opts.url);
      } catch (e) {
        done(false);
        return;
      }
      probe.ws.onopen = function () { done(true); };
      probe.ws.onclose = function () { done(false); };
      probe.timer = this._clock.setTimeout(function () { done(false); }, this._connectTimeout);
    }

    _stopProbe() {
      var probe = this._probe;
      if (!probe) return;
      this._probe = null;
      this._clock.clearTimeout(probe.timer);
      if (probe.ws) {
        probe.ws.onopen = probe.ws.onerror = probe.ws.onclose = probe.ws.onmessage = null;
        try { probe.ws.close(1000, 'probe'); } catch (e) { /* closing */ }
      }
    }

    /** Leaves the current connection for a new one on `kind` at once; subscriptions resume with `since`. */
    _switchTo(kind) {
      this._transportIndex = this._transports.indexOf(kind);
      this._failedBeforeOpen = 0;
      this._switching = true;
      this._drop(1000, 'switching to ' + kind);
    }

    /** Stop using the current socket (heartbeat timeout, failed send) and handle it as closed. */
    _drop(code, reason) {
      if (!this._ws) return;
      this._onSocketClosed(code, reason);
    }

    _onSocketClosed(code, reason) {
      var ws = this._ws;
      this._ws = null;
      if (ws) {
        ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
        // A socket we give up on may still be open (heartbeat timeout): close it for good.
        if (ws.readyState === 0 || ws.readyState === 1) {
          try { ws.close(4000, String(reason || '').slice(0, 100)); } catch (e) { /* already closing */ }
        }
      }
      this._ready = false;
      this._stopHeartbeat();
      this._clearOpenTimer();
      this._stopProbe();
      this._noteFailure();

      // Requests in flight on this socket: their replies are gone with it. Subscriptions are
      // simply sent again after the next welcome; the others fail (see _request).
      var pending = this._pending;
      this._pending = new Map();
      pending.forEach(function (p) { p.onClose(code); });
      this._channels.forEach(function (st) { st.inFlight = null; });

      var willReconnect = !this._closed;
      var switching = this._switching;
      this._switching = false;
      this._emit('close', { code: code, reason: reason || '', willReconnect: willReconnect });
      if (willReconnect) this._scheduleReconnect(code, switching);
    }

    /** `now`: reconnect at once (a transport switch, not a failure). */
    _scheduleReconnect(code, now) {
      if (this._closed || this._reconnectTimer !== null) return;
      var reason = 'reconnect';
      if (code === 1008) {
        // Policy/auth refusal, usually an expired token.
        if (typeof this._opts.tokenProvider === 'function') {
          reason = 'auth';
        } else {
          this._emit('error', new PulseError('unauthorized',
            'connection refused by the server (1008); retrying with the same static token'));
        }
      }
      var delay = now ? 0 : reconnectDelay(code, this._attempt,
        { backoff: this._backoff, restartDelay: this._restartDelay }, this._random);
      if (!now) this._attempt++;
      this._state = 'reconnecting';
      this._emit('reconnecting', { attempt: this._attempt, delay: delay, code: code == null ? null : code });
      var self = this;
      this._reconnectTimer = this._clock.setTimeout(function () { self._connect(reason); }, delay);
    }

    /** Stop for good: close the socket, fail pending requests, never reconnect. */
    close() {
      if (this._closed) return;
      this._closed = true;
      if (this._reconnectTimer !== null) {
        this._clock.clearTimeout(this._reconnectTimer);
        this._reconnectTimer = null;
      }
      this._gen++; // ignore a tokenProvider still running
      var hadSocket = !!this._ws;
      if (hadSocket) {
        var ws = this._ws;
        ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
        this._ws = null;
        try { ws.close(1000, 'client closed'); } catch (e) { /* ignore */ }
      }
      this._ready = false;
      this._stopHeartbeat();
      this._clearOpenTimer();
      this._stopProbe();
      var err = function () { return new PulseError('unavailable', 'client closed'); };
      var pending = this._pending;
      this._pending = new Map();
      pending.forEach(function (p) { p.onClose(1000); });
      var waiting = this._waiting;
      this._waiting = [];
      var clock = this._clock;
      waiting.forEach(function (req) { clock.clearTimeout(req.timer); req.reject(err()); });
      this._channels.forEach(function (st) {
        st.listeners.forEach(function (l) { l.active = false; if (!l.settled) l.settle(null, err()); });
      });
      this._channels.clear();
      this._state = 'closed';
      this._emit('close', { code: 1000, reason: 'client closed', willReconnect: false });
    }

    // ------------------------------------------------ heartbeat

    // One timer instead of one per frame: a frame only stamps _lastFrameAt, the timer wakes at the
    // next ping time or at the silence deadline, whichever comes first.
    _startHeartbeat(intervalMs) {
      this._stopHeartbeat();
      this._hbInterval = intervalMs;
      this._hbTimeout = this._opts.heartbeatTimeout > 0 ? this._opts.heartbeatTimeout : 2 * intervalMs;
      var now = this._clock.now();
      this._lastFrameAt = now;
      this._nextPingAt = now + intervalMs;
      this._scheduleHeartbeat();
    }

    _scheduleHeartbeat() {
      var due = Math.min(this._nextPingAt, this._lastFrameAt + this._hbTimeout);
      var self = this;
      this._hbTimer = this._clock.setTimeout(function () { self._onHeartbeatTimer(); },
        Math.max(0, due - this._clock.now()));
    }

    _stopHeartbeat() {
      if (this._hbTimer !== null && this._hbTimer !== undefined) this._clock.clearTimeout(this._hbTimer);
      this._hbTimer = null;
    }

    _onHeartbeatTimer() {
      this._hbTimer = null;
      if (!this._ws) return;
      var now = this._clock.now();
      if (now - this._lastFrameAt >= this._hbTimeout) {
        // Nothing at all (not even a pong) for two intervals: the TCP connection is probably
        // dead without a close (NAT timeout, sleeping laptop). Don't wait for the OS to notice.
        this._drop(4000, 'heartbeat timeout');
        return;
      }
      if (now >= this._nextPingAt) {
        if (this._ws.readyState === 1) this._sendRaw(JSON.stringify({ type: 'ping', id: ++this._seq }));
        this._nextPingAt = now + this._hbInterval;
        if (!this._ws) return; // the send failed and dropped the socket
      }
      this._scheduleHeartbeat();
    }

    // ------------------------------------------------ incoming frames

    _onFrame(raw) {
      this._lastFrameAt = this._clock.now();
      if (typeof raw !== 'string') {
        this._onBinaryFrame(raw);
        return;
      }
      var f;
      try {
        f = JSON.parse(raw);
      } catch (e) {
        this._emit('error', new PulseError('bad_request', 'unparsable frame from server'));
        return;
      }
      if (!f || typeof f !== 'object') return;

      if (f.id != null && REPLY_TYPES[f.type] === 1) {
        var p = this._pending.get(f.id);
        if (p) {
          this._pending.delete(f.id);
          if (p.timer != null) this._clock.clearTimeout(p.timer);
          if (f.type === 'error') p.reject(errorFromFrame(f));
          else p.resolve(f);
          return;
        }
      }
      switch (f.type) {
        case 'welcome': this._onWelcome(f); break;
        case 'message':
          if (f.binary === true && typeof f.data === 'string') {
            // a binary message on a text-only transport (event streams): base64, as in history
            this._deliver(f.channel, f.offset, base64ToArrayBuffer(f.data), f.from, true, f.epoch);
          } else {
            this._onMessage(f, raw);
          }
          break;
        case 'join':
        case 'leave': this._emit(f.type, f); break;
        case 'error': this._emit('error', errorFromFrame(f)); break;
        default: break; // pong for a ping, or a frame type this client does not know yet
      }
    }

    _onBinaryFrame(raw) {
      var m;
      try {
        m = decodeBinary(raw);
      } catch (e) {
        this._emit('error', e instanceof PulseError ? e : new PulseError('bad_request', e.message));
        return;
      }
      // offset 0: a message of an ephemeral channel, which has none
      this._deliver(m.channel, m.offset || undefined, m.payload, undefined, true, undefined);
    }

    _onWelcome(f) {
      this._welcome = f;
      this._attempt = 0;
      this._ready = true;
      this._state = 'ready';
      var previous = this._transport;
      this._transport = this._wsKind;
      var interval = this._opts.heartbeatInterval > 0 ? this._opts.heartbeatInterval
        : f.heartbeat > 0 ? f.heartbeat * 1000 : DEFAULT_HEARTBEAT_MS;
      this._startHeartbeat(interval);

      // Subscriptions first, so messages published by our own queued publishes are not missed.
      var self = this;
      this._channels.forEach(function (st) {
        if (self._ready && st.inFlight === null) self._sendSubscribe(st);
      });
      var waiting = this._waiting;
      this._waiting = [];
      for (var i = 0; i < waiting.length; i++) {
        if (this._ready) this._sendRequest(waiting[i]);
        else this._waiting.push(waiting[i]); // the socket died while flushing: keep waiting
      }
      if (!this._ready) return;
      this._emit('welcome', f);
      if (previous !== this._transport) {
        var detail = { transport: this._transport, previous: previous };
        this._emit('transport', detail);
        dispatchPulseEvent(root.document, TRANSPORT_EVENT_NAME, detail, apexOf(null));
      }
      if (this._ready) this._scheduleProbe();
    }

    /**
     * A message frame. On a subscription with deltas, keep the data text of each message as the base
     * of the next delta and turn a delta back into the data; a delta that does not apply is never shown.
     */
    _onMessage(f, raw) {
      var st = this._channels.get(f.channel);
      if (!st || st.resyncing) return; // unsubscribed meanwhile, or replaced by a resubscription
      var data = f.data;
      var fresh = typeof f.offset === 'number' && (st.offset === null || f.offset > st.offset);
      if (st.delta && fresh) {
        var hasFrom = f.from !== undefined;
        if (typeof f.delta === 'string') {
          try {
            if (st.deltaBase === null || st.deltaOffset !== f.offset - 1) throw new Error('delta: no base for offset ' + f.offset);
            var out = applyDelta(st.deltaBase, utf8Encode(f.delta));
            data = JSON.parse(utf8Decode(out));
            st.deltaBase = out;
          } catch (e) {
            this._resync(st, f.offset, e.message);
            return;
          }
        } else {
          var t = dataText(raw, hasFrom);
          st.deltaBase = t === null ? null : utf8Encode(t);
        }
        st.deltaOffset = f.offset;
      }
      this._deliver(f.channel, f.offset, data, f.from, false, f.epoch);
    }

    /**
     * A delta that does not apply (no base, bad checksum): resubscribe from the last offset delivered,
     * so the server replays what follows in full (or says recovered:false: the page reloads).
     */
    _resync(st, offset, reason) {
      st.deltaBase = null;
      this._emit('resync', { channel: st.name, offset: offset, reason: reason });
      if (!this._ready || st.inFlight !== null) return;
      st.resyncing = true;
      var id = ++this._seq;
      this._pending.set(id, { timer: null, resolve: noop, reject: noop, onClose: noop });
      if (this._sendRaw(JSON.stringify({ type: 'unsubscribe', id: id, channel: st.name }))) this._sendSubscribe(st);
    }

    _deliver(channel, offset, data, from, binary, epoch) {
      var st = this._channels.get(channel);
      if (!st) return; // unsubscribed meanwhile
      if (epoch != null && st.epoch != null && epoch !== st.epoch) {
        st.offset = null; // offsets of another epoch are not comparable
        st.epoch = epoch;
      }
      if (typeof offset === 'number') {
        // Replays after a reconnect may overlap with what we already have: deliver each offset once.
        if (st.offset !== null && offset <= st.offset) return;
        st.offset = offset;
      }
      var meta = { channel: channel, offset: offset, from: from };
      if (binary) meta.binary = true;
      st.last = { data: data, meta: meta }; // a cache channel's last value, for listeners that come later
      var ls = st.listeners.slice();
      for (var i = 0; i < ls.length; i++) {
        if (ls[i].active) safeCall(ls[i].onMessage, null, [data, meta]);
      }
      this._emit('message', { channel: channel, offset: offset, from: from, data: data, binary: !!binary });
    }

    // ------------------------------------------------ sending

    _sendRaw(data) {
      try {
        this._ws.send(data);
        return true;
      } catch (e) {
        this._drop(4001, 'send failed');
        return false;
      }
    }

    /**
     * A request/reply exchange. `build(id)` makes the frame once the id is known (binary frames
     * embed it). Made while disconnected, the request waits up to requestTimeout for a connection;
     * once sent, it waits up to requestTimeout for its reply. It is never sent twice: if the
     * socket closes before the reply, the caller cannot know whether the server acted on it, so
     * it fails with `unavailable` and the caller decides.
     */
    _request(build, map) {
      if (this._closed) return Promise.reject(new PulseError('unavailable', 'client closed'));
      var self = this;
      return new Promise(function (resolve, reject) {
        var req = {
          build: build,
          timer: null,
          resolve: function (f) { resolve(map(f)); },
          reject: reject,
          onClose: function (code) {
            reject(new PulseError('unavailable',
              'connection closed' + (code != null ? ' (' + code + ')' : '') + ' before the reply'));
          },
        };
        if (self._ready) {
          self._sendRequest(req);
          return;
        }
        req.timer = self._clock.setTimeout(function () {
          var i = self._waiting.indexOf(req);
          if (i < 0) return;
          self._waiting.splice(i, 1);
          reject(new PulseError('unavailable', 'not connected within ' + self._requestTimeout + ' ms'));
        }, self._requestTimeout);
        self._waiting.push(req);
      });
    }

    _sendRequest(req) {
      if (req.timer != null) this._clock.clearTimeout(req.timer);
      var id = ++this._seq;
      var self = this;
      req.timer = this._clock.setTimeout(function () {
        if (self._pending.get(id) !== req) return;
        self._pending.delete(id);
        req.reject(new PulseError('timeout', 'no reply within ' + self._requestTimeout + ' ms'));
      }, this._requestTimeout);
      this._pending.set(id, req);
      this._sendRaw(req.build(id));
    }

    // ------------------------------------------------ subscriptions

    subscribe(channel, onMessage, opts) {
      var name = normalizeChannel(channel);
      if (typeof onMessage !== 'function') throw new TypeError('pulse: onMessage must be a function');
      opts = opts || {};
      var listener = {
        onMessage: onMessage,
        onSubscribed: opts.onSubscribed,
        onRecovery: opts.onRecovery,
        onError: opts.onError,
        active: true,
        settled: false,
        settle: null,
      };
      var ready = new Promise(function (resolve, reject) {
        listener.settle = function (reply, err) {
          if (listener.settled) return;
          listener.settled = true;
          if (err) reject(err);
          else resolve(reply);
        };
      });
      ready.catch(noop); // a page that never looks at `ready` must not get unhandled rejections
      var self = this;
      var handle = {
        channel: name,
        ready: ready,
        unsubscribe: function () { return self._removeListener(name, listener); },
      };
      if (this._closed) {
        listener.active = false;
        listener.settle(null, new PulseError('unavailable', 'client closed'));
        return handle;
      }
      var st = this._channels.get(name);
      if (!st) {
        st = {
          name: name,
          listeners: [listener],
          offset: null,   // last delivered offset (dedupe, and `since` after a reconnect)
          base: null,     // offset from the subscribed reply: resume point while nothing was delivered
          epoch: null,
          reply: null,    // last subscribed reply
          last: null,     // last message delivered: {data, meta}
          inFlight: null, // id of the subscribe request on the current socket
          attempt: 0,
          delta: false,     // the subscribed reply said delta:true
          deltaBase: null,  // UTF-8 bytes of the last message's data text: the base of the next delta
          deltaOffset: null,
          resyncing: false, // a resubscription after a delta that did not apply is on its way
        };
        this._channels.set(name, st);
        if (this._ready) this._sendSubscribe(st);
      } else {
        st.listeners.push(listener);
        // The channel is already live (or will be resubscribed by itself): no second frame.
        if (st.reply) {
          listener.settle(st.reply);
          if (typeof listener.onSubscribed === 'function') safeCall(listener.onSubscribed, null, [st.reply]);
          // a cache channel gives every subscriber its last value, a listener added later too
          if (st.reply.cache && st.last) safeCall(listener.onMessage, null, [st.last.data, st.last.meta]);
        }
      }
      return handle;
    }

    _sendSubscribe(st) {
      var id = ++this._seq;
      var frame = { type: 'subscribe', id: id, channel: st.name };
      if (this._delta) frame.delta = true;
      var resumeAt = st.offset !== null ? st.offset : st.base;
      var since = null;
      if (resumeAt !== null && st.epoch != null) {
        since = { offset: resumeAt, epoch: st.epoch };
        frame.since = since;
      }
      st.inFlight = id;
      var self = this;
      this._pending.set(id, {
        timer: null,
        resolve: function (f) { self._onSubscribed(st, id, f, since); },
        reject: function (err) { self._onSubscribeError(st, id, err, since); },
        onClose: noop, // resent after the next welcome
      });
      this._sendRaw(JSON.stringify(frame));
    }

    _isCurrent(st, id) {
      return this._channels.get(st.name) === st && st.inFlight === id;
    }

    _onSubscribed(st, id, f, since) {
      if (!this._isCurrent(st, id)) return;
      st.inFlight = null;
      st.attempt = 0;
      st.resyncing = false;
      st.delta = f.delta === true; // the first message of a subscription is full: no base yet
      st.deltaBase = null;
      var lost = since !== null && f.recovered === false;
      var epochChanged = f.epoch != null && st.epoch != null && f.epoch !== st.epoch;
      if (lost || epochChanged) st.offset = null; // start over from what the server has now
      if (f.epoch != null) st.epoch = f.epoch;
      // Adopt the server's offset as resume point unless a replay from our own `since` follows
      // (taking the head offset then would make us skip the replayed messages as duplicates).
      if (typeof f.offset === 'number' && (since === null || lost || epochChanged)) st.base = f.offset;
      st.reply = f;
      var ls = st.listeners.slice();
      var i;
      for (i = 0; i < ls.length; i++) {
        ls[i].settle(f);
        if (ls[i].active && typeof ls[i].onSubscribed === 'function') safeCall(ls[i].onSubscribed, null, [f]);
      }
      if (lost) this._reportRecovery(st, f);
    }

    _reportRecovery(st, f) {
      var info = { recovered: false, channel: st.name, epoch: f ? f.epoch : null, offset: f ? f.offset : null };
      var ls = st.listeners.slice();
      for (var i = 0; i < ls.length; i++) {
        if (ls[i].active && typeof ls[i].onRecovery === 'function') safeCall(ls[i].onRecovery, null, [info]);
      }
      this._emit('recovery', info);
    }

    _onSubscribeError(st, id, err, since) {
      if (!this._isCurrent(st, id)) return;
      st.inFlight = null;
      if (err.code === 'recovery_failed' && since !== null) {
        // Same meaning as recovered:false: tell the page to reload, then subscribe afresh.
        st.offset = null;
        st.base = null;
        st.epoch = null;
        this._reportRecovery(st, null);
        if (this._ready && this._channels.get(st.name) === st) this._sendSubscribe(st);
        return;
      }
      if (st.reply && (err.code === 'unavailable' || err.code === 'rate_limited')) {
        // A subscription that used to work hit a transient failure on resubscribe: try again.
        var self = this;
        var delay = backoffDelay(st.attempt++, this._backoff, this._random);
        this._clock.setTimeout(function () {
          if (self._ready && self._channels.get(st.name) === st && st.inFlight === null) self._sendSubscribe(st);
        }, delay);
        return;
      }
      // Refused for good (forbidden, bad channel, limit): drop it.
      this._channels.delete(st.name);
      var wasLive = false;
      st.listeners.forEach(function (l) {
        if (l.settled) wasLive = true;
        l.active = false;
        l.settle(null, err);
        if (typeof l.onError === 'function') safeCall(l.onError, null, [err]);
      });
      // A subscription lost after it had worked (e.g. grants changed with a new token) must not
      // vanish silently: nobody awaits its `ready` any more.
      if (wasLive) this._emit('error', err);
    }

    _removeListener(name, listener) {
      if (!listener.active) return Promise.resolve();
      listener.active = false;
      listener.settle(null, new PulseError('cancelled', 'unsubscribed before the subscription was confirmed'));
      var st = this._channels.get(name);
      if (!st) return Promise.resolve();
      var i = st.listeners.indexOf(listener);
      if (i >= 0) st.listeners.splice(i, 1);
      if (st.listeners.length) return Promise.resolve(); // others still listen
      this._channels.delete(name);
      // Not ready: the server-side subscription died with the previous socket, nothing to undo.
      if (!this._ready) return Promise.resolve();
      var self = this;
      return new Promise(function (resolve) {
        var id = ++self._seq;
        // Best effort: whatever the answer (or a closed socket), the channel is gone for us.
        var entry = { timer: null, resolve: null, reject: null, onClose: null };
        entry.resolve = entry.reject = entry.onClose = function () {
          self._clock.clearTimeout(entry.timer);
          self._pending.delete(id);
          resolve();
        };
        entry.timer = self._clock.setTimeout(entry.resolve, self._requestTimeout);
        self._pending.set(id, entry);
        self._sendRaw(JSON.stringify({ type: 'unsubscribe', id: id, channel: name }));
      });
    }

    // ------------------------------------------------ other requests

    /**
     * Publish JSON (or an ArrayBuffer / typed array: a binary frame). opts.idempotencyKey (a string of
     * at most 64 characters, JSON only) makes a repeat within the server's window publish nothing and
     * resolve with the first publish's offset: safe to send again after an `unavailable` or `timeout`.
     */
    publish(channel, data, opts) {
      var name;
      var build;
      var key = opts && opts.idempotencyKey;
      try {
        name = normalizeChannel(channel);
        if (key !== undefined && (typeof key !== 'string' || !key || key.length > 64)) {
          throw new TypeError('pulse: idempotencyKey must be a string of 1 to 64 characters');
        }
        if (isBinary(data)) {
          if (key !== undefined) throw new TypeError('pulse: idempotencyKey needs a JSON publish (binary frames have no room for it)');
          // Copy now: the caller may reuse its buffer while we wait for a connection.
          var payload = toBytes(data).slice();
          encodeBinary(name, 0, new Uint8Array(0)); // validate the channel early
          build = function (id) { return encodeBinary(name, id, payload); };
        } else {
          // Serialize now too: a snapshot, and a circular structure fails here, not later.
          var json = JSON.stringify(data === undefined ? null : data);
          var head = '{"type":"publish","id":';
          var tail = ',"channel":' + JSON.stringify(name) + ',"data":' + json
            + (key !== undefined ? ',"idempotencyKey":' + JSON.stringify(key) : '') + '}';
          build = function (id) { return head + id + tail; };
        }
      } catch (e) {
        return Promise.reject(e);
      }
      return this._request(build, function (f) { return { offset: f.offset }; });
    }

    presence(channel) {
      var name;
      try { name = normalizeChannel(channel); } catch (e) { return Promise.reject(e); }
      return this._request(function (id) {
        return JSON.stringify({ type: 'presence', id: id, channel: name });
      }, function (f) {
        return { channel: f.channel, count: f.count, clients: f.clients || [] };
      });
    }

    /**
     * A channel's past over the socket (needs the subscribe grant): the newest opts.limit messages
     * (default and maximum: the server's limits.maxHistoryRequest), or those after opts.since
     * ({offset, epoch}), oldest first (opts.reverse: newest first). Resolves with {channel, epoch,
     * offset, recovered, messages: [{offset, data, from, binary}]}; binary messages' data is an
     * ArrayBuffer. An ephemeral channel answers no messages and no epoch or offset.
     */
    history(channel, opts) {
      var name;
      var frame;
      try {
        name = normalizeChannel(channel);
        opts = opts || {};
        frame = { type: 'history', channel: name };
        if (opts.limit !== undefined) frame.limit = opts.limit;
        if (opts.since) frame.since = { offset: opts.since.offset, epoch: opts.since.epoch };
        if (opts.reverse) frame.reverse = true;
      } catch (e) {
        return Promise.reject(e);
      }
      return this._request(function (id) {
        frame.id = id;
        return JSON.stringify(frame);
      }, function (f) {
        var messages = (f.messages || []).map(function (m) {
          var out = { offset: m.offset, data: m.binary ? base64ToBuffer(m.data) : m.data, from: m.from };
          if (m.binary) out.binary = true;
          return out;
        });
        return { channel: f.channel, epoch: f.epoch, offset: f.offset, recovered: f.recovered, messages: messages };
      });
    }

    trigger(job) {
      if (typeof job !== 'string' || !job) return Promise.reject(new TypeError('pulse: job must be a non-empty string'));
      return this._request(function (id) {
        return JSON.stringify({ type: 'trigger', id: id, job: job });
      }, function (f) { return f; });
    }
  }

  function connect(opts) {
    return new PulseClient(opts);
  }

  // ---------------------------------------------------------------- APEX helpers

  function apexOf(opts) {
    var a = (opts && opts.apex) || root.apex;
    return a && (typeof a === 'object' || typeof a === 'function') ? a : null;
  }

  function inertHandle(channel) {
    return { channel: channel, ready: Promise.resolve(null), unsubscribe: function () { return Promise.resolve(); } };
  }

  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }

  var apexHelpers = {
    /**
     * Refresh region `staticId` when messages arrive on `channel`, at most once per burst
     * (debounce, default 250 ms; maxWait, default max(4 x debounce, 1 s)). Also refreshes when
     * history could not be recovered after a reconnect.
     */
    refreshRegionOn: function (client, channel, staticId, opts) {
      opts = opts || {};
      var apex = apexOf(opts);
      if (!apex || typeof apex.region !== 'function') return inertHandle(channel);
      var wait = opts.debounce != null ? opts.debounce : 250;
      var maxWait = opts.maxWait != null ? opts.maxWait : Math.max(wait * 4, 1000);
      var d = debounce(function () {
        var region = apex.region(staticId);
        if (region && typeof region.refresh === 'function') region.refresh();
      }, wait, maxWait, client._clock || defaultClock());
      var h = client.subscribe(channel, function () { d.call(); }, { onRecovery: function () { d.call(); } });
      return {
        channel: h.channel,
        ready: h.ready,
        unsubscribe: function () { d.cancel(); return h.unsubscribe(); },
      };
    },

    /**
     * Set page items from message fields: `{P1_TOTAL: 'order.total', P1_NAME: fn(data, meta)}`.
     * Fields missing from a message leave the item alone. opts.suppressChangeEvent skips the
     * change event (and so change-triggered Dynamic Actions).
     */
    setItemsOn: function (client, channel, mapping, opts) {
      opts = opts || {};
      var apex = apexOf(opts);
      if (!apex || typeof apex.item !== 'function') return inertHandle(channel);
      mapping = mapping || {};
      return client.subscribe(channel, function (data, meta) {
        Object.keys(mapping).forEach(function (itemName) {
          var src = mapping[itemName];
          var v = typeof src === 'function' ? src(data, meta) : pick(data, src);
          if (v === undefined) return;
          var item = apex.item(itemName);
          if (!item || typeof item.setValue !== 'function') return;
          if (v === null) v = '';
          if (opts.suppressChangeEvent) item.setValue(v, undefined, true);
          else item.setValue(v);
        });
      });
    },

    /**
     * Show a page notification per message. `text` is a function (data, meta) -> string or a
     * field path; by default the message itself when it is a string, else its `message` or
     * `text` field. Text is HTML-escaped unless opts.html is true.
     */
    notifyOn: function (client, channel, opts) {
      opts = opts || {};
      var apex = apexOf(opts);
      if (!apex || !apex.message) return inertHandle(channel);
      var type = opts.type || 'success';
      return client.subscribe(channel, function (data, meta) {
        var text;
        if (typeof opts.text === 'function') text = opts.text(data, meta);
        else if (opts.text != null) text = pick(data, opts.text);
        else text = typeof data === 'string' ? data : data && (data.message != null ? data.message : data.text);
        if (text == null || text === '') return;
        text = String(text);
        if (type === 'error') {
          // showErrors escapes the message itself when unsafe is false.
          apex.message.showErrors([{ type: 'error', location: 'page', message: text, unsafe: !!opts.html }]);
        } else {
          // showPageSuccess inserts its argument as HTML: escape it, messages are untrusted input.
          var esc = apex.util && typeof apex.util.escapeHTML === 'function' ? apex.util.escapeHTML : escapeHtml;
          apex.message.showPageSuccess(opts.html ? text : esc(text));
        }
      });
    },

    /**
     * Turn messages into DOM events named `pulse-message` on `target` (default document), with
     * detail {channel, offset, data, from}, and, when apex.jQuery exists, a jQuery event with
     * the same detail as extra parameter: an APEX Dynamic Action on the Custom Event
     * "pulse-message" sees it as `this.data`. Works without APEX too (DOM event only).
     */
    eventsOn: function (client, channel, target, opts) {
      opts = opts || {};
      var apex = apexOf(opts);
      var tgt = target || root.document;
      return client.subscribe(channel, function (data, meta) {
        dispatchPulseEvent(tgt, EVENT_NAME, { channel: meta.channel, offset: meta.offset, data: data, from: meta.from }, apex);
      });
    },
  };

  function dispatchPulseEvent(target, name, detail, apex) {
    if (!target) return;
    var jq = apex && typeof apex.jQuery === 'function' ? apex.jQuery : null;
    if (typeof target.dispatchEvent === 'function' && typeof root.CustomEvent === 'function') {
      // jQuery binds its handlers with addEventListener, so Dynamic Actions would see this native
      // event AND the jQuery trigger below and run twice. jQuery's own guard for that case (used
      // when .trigger() calls a native method) is jQuery.event.triggered === type: set it while
      // dispatching so jQuery handlers skip the native copy and run once, with `this.data`.
      var guard = jq && jq.event;
      var prev = guard ? guard.triggered : undefined;
      if (guard) guard.triggered = name;
      try {
        target.dispatchEvent(new root.CustomEvent(name, { detail: detail, bubbles: true }));
      } finally {
        if (guard) guard.triggered = prev;
      }
    }
    if (jq) jq(target).trigger(name, [detail]);
  }

  return {
    version: VERSION,
    connect: connect,
    PulseClient: PulseClient,
    PulseError: PulseError,
    apex: apexHelpers,
    _internal: {
      backoffDelay: backoffDelay,
      reconnectDelay: reconnectDelay,
      encodeBinary: encodeBinary,
      decodeBinary: decodeBinary,
      applyDelta: applyDelta,
      dataText: dataText,
      normalizeChannel: normalizeChannel,
      pick: pick,
      debounce: debounce,
      escapeHtml: escapeHtml,
    },
  };
});
