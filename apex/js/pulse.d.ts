// Type declarations for pulse.js, the apex-pulse browser client (protocol v1 over a WebSocket, or over
// Server-Sent Events + POST behind proxies that block WebSockets).
// In a page the script sets `window.pulse`; under Node/CommonJS it is `module.exports`.

export = pulse;
export as namespace pulse;

declare namespace pulse {
  /** Client version, e.g. "0.1.0". */
  const version: string;

  /**
   * Open a client. It connects by itself (on the next microtask, so listeners attached right
   * after this call see every event) and keeps reconnecting until `close()`.
   */
  function connect(options: ConnectOptions): PulseClient;

  /**
   * Protocol error codes sent by the server, plus three the client produces itself:
   * `unavailable` (not connected within the request timeout, or the connection closed before
   * the reply: the request may or may not have been carried out), `timeout` (sent, but no reply
   * within the request timeout) and `cancelled` (unsubscribed before the subscription was
   * confirmed).
   */
  type ErrorCode =
    | 'bad_request' | 'unauthorized' | 'forbidden' | 'not_found' | 'too_large' | 'rate_limited'
    | 'limit_exceeded' | 'unavailable' | 'recovery_failed' | 'timeout' | 'cancelled'
    | (string & {});

  /** Every rejection and `error` event from the client is a PulseError. */
  class PulseError extends Error {
    constructor(code: ErrorCode, message?: string, frame?: unknown);
    readonly name: 'PulseError';
    readonly code: ErrorCode;
    /** The server's error frame, when the error came from one. */
    readonly frame?: { type: 'error'; id?: number; code: string; message?: string };
    /** The original error (e.g. thrown by a tokenProvider). */
    cause?: unknown;
  }

  interface BackoffOptions {
    /** First reconnect window in ms (default 1000). */
    initial?: number;
    /** Largest reconnect window in ms (default 30000). */
    max?: number;
    /** Growth per failed attempt (default 2). */
    factor?: number;
  }

  interface TokenRequest {
    /**
     * Why a token is needed: the first connect, a reconnect, or a reconnect after the server
     * refused the connection with close code 1008 (token expired or revoked: get a fresh one).
     */
    reason: 'initial' | 'reconnect' | 'auth';
  }

  interface ConnectOptions {
    /** WebSocket URL, e.g. `wss://pulse.example.com/ws` or `ws://host:8080/ws?app=100`. */
    url: string;
    /** A JWT sent as `?token=` on the URL. */
    token?: string;
    /** Called before every connect; its token is sent as `?token=`. Wins over `token`. */
    tokenProvider?: (request: TokenRequest) => Promise<string> | string;
    /**
     * Ping interval in ms. Default: the `heartbeat` seconds of the server's welcome frame,
     * 25 s until a welcome arrives.
     */
    heartbeatInterval?: number;
    /**
     * The connection is considered dead (closed with 4000 and reconnected) when no frame at
     * all arrives for this many ms. Default: 2 x the heartbeat interval.
     */
    heartbeatTimeout?: number;
    /**
     * Reconnect schedule: the n-th retry (0-based) waits a random time in
     * [0, min(max, initial * factor^n)) ("full jitter"); reset once a welcome arrives.
     */
    backoff?: BackoffOptions;
    /**
     * After close code 1012 (node restarting) or 1013 (overloaded / too slow) the client
     * reconnects after a random delay in [0, restartDelay) ms instead of the backoff.
     * Default 1000.
     */
    restartDelay?: number;
    /**
     * ms that publish/presence/trigger wait for a connection, and then for their reply;
     * also the limit for a tokenProvider call. Default 10000.
     */
    requestTimeout?: number;
    /**
     * Transports in order of preference. Default `['websocket', 'sse']`: when WebSockets fail before
     * they open `fallbackAfter` times in a row (or do not open within `connectTimeout`), the client
     * switches to Server-Sent Events (`GET /sse` + `POST /sse/<session>`), and while on it tries a
     * WebSocket every `websocketRetryInterval` ms, moving back once one opens. A transport the
     * environment lacks (no EventSource or fetch) is skipped.
     */
    transports?: Array<'websocket' | 'sse'>;
    /** Event-stream URL; default derived from `url` (`ws(s)://host/ws?q` -> `http(s)://host/sse?q`). */
    sseUrl?: string;
    /** ms a connection may take to open (a WebSocket handshake, an event stream's welcome). Default 10000. */
    connectTimeout?: number;
    /** Connections failing before open, in a row, before the next transport is tried. Default 2. */
    fallbackAfter?: number;
    /** ms between two tries of the WebSocket while on a fallback transport. Default 60000. */
    websocketRetryInterval?: number;
    /**
     * Ask for deltas on every subscription (default true): on channels that allow them the server
     * then sends the changes against the previous message, which the client applies itself; pages
     * see full data either way. A delta that does not apply is never shown: the client
     * resubscribes from the last message it delivered (a `resync` event).
     */
    delta?: boolean;
    /** WebSocket implementation; default the global one. */
    WebSocket?: new (url: string) => WebSocketLike;
    /** EventSource implementation for the `sse` transport; default the global one. */
    EventSource?: new (url: string) => EventSourceLike;
    /** fetch for the `sse` transport's POSTs; default the global one. */
    fetch?: (url: string, init: { method: string; headers: Record<string, string>; body: string | ArrayBuffer; cache: string }) =>
      Promise<{ status: number }>;
    /** Testing hook: replaces setTimeout/clearTimeout/now. */
    clock?: Partial<Clock>;
    /** Testing hook: replaces Math.random (jitter). */
    random?: () => number;
  }

  interface Clock {
    setTimeout(fn: () => void, ms: number): unknown;
    clearTimeout(handle: unknown): void;
    now(): number;
  }

  /** The part of the browser WebSocket the client uses. */
  interface WebSocketLike {
    readonly readyState: number;
    binaryType: string;
    send(data: string | ArrayBuffer): void;
    close(code?: number, reason?: string): void;
    onopen: ((ev: unknown) => void) | null;
    onmessage: ((ev: { data: unknown }) => void) | null;
    onerror: ((ev: unknown) => void) | null;
    onclose: ((ev: { code: number; reason: string }) => void) | null;
  }

  /** The part of the browser EventSource the client uses. */
  interface EventSourceLike {
    close(): void;
    onmessage: ((ev: { data: string }) => void) | null;
    onerror: ((ev: unknown) => void) | null;
  }

  type TransportKind = 'websocket' | 'sse';

  interface TransportInfo {
    transport: TransportKind;
    /** The transport before, null for the first session. */
    previous: TransportKind | null;
  }

  interface WelcomeFrame {
    type: 'welcome';
    connection: string;
    node: string;
    /** On an event stream: the id the client POSTs its frames to. */
    session?: string;
    /** Server heartbeat in seconds. */
    heartbeat?: number;
  }

  interface SubscribedReply {
    type: 'subscribed';
    id: number;
    channel: string;
    /** Channel offset when the subscription started (absent on an ephemeral channel). */
    offset?: number;
    /** The channel's history epoch (absent on an ephemeral channel). */
    epoch?: string;
    /**
     * For a resubscription with `since`: true if the missed messages follow (replayed from
     * history), false if they are gone (history trimmed, epoch changed): reload your data.
     */
    recovered?: boolean;
    /** A cache channel: its latest message follows this reply (every listener gets it). */
    cache?: true;
    /** An ephemeral channel: no history, messages without offsets, nothing recovered. */
    ephemeral?: true;
    /** True when messages may come as deltas (asked for, and the channel allows them). */
    delta?: true;
  }

  interface MessageMeta {
    /** Channel name as the server keeps it (no leading "/"). */
    channel: string;
    /** Position in the channel (increasing within an epoch); absent on an ephemeral channel. */
    offset?: number;
    /** Publisher (token subject), when the server tells. Absent for binary messages. */
    from?: string;
    /** True when the message came as a binary frame; `data` is then an ArrayBuffer. */
    binary?: true;
  }

  interface RecoveryInfo {
    recovered: false;
    channel: string;
    /** The channel's new epoch and offset, when the server told (null after recovery_failed). */
    epoch: string | null;
    offset: number | null;
  }

  interface SubscribeOptions {
    /** Called with every subscribed reply: the first one and each after a reconnect. */
    onSubscribed?: (reply: SubscribedReply) => void;
    /**
     * Called when messages were missed for good across a reconnect (recovered:false or a
     * recovery_failed error): reload whatever the page shows from this channel.
     */
    onRecovery?: (info: RecoveryInfo) => void;
    /** Called when the server refuses the subscription (it is then dropped, not retried). */
    onError?: (error: PulseError) => void;
  }

  interface Subscription {
    readonly channel: string;
    /**
     * Resolves with the first subscribed reply; rejects with a PulseError (e.g. `forbidden`).
     * A rejection nobody listens to is not reported as unhandled.
     */
    readonly ready: Promise<SubscribedReply | null>;
    /** Stop this listener; the last one on a channel unsubscribes on the server. Never rejects. */
    unsubscribe(): Promise<void>;
  }

  interface PresenceResult {
    channel: string;
    count: number;
    clients: Array<{ user: string; name?: string }>;
  }

  interface PublishOptions {
    /**
     * At most 64 characters (JSON publishes only). A repeat with the same key on the same channel
     * within the server's window (idempotency.windowSeconds, 5 minutes by default) publishes
     * nothing and resolves with the first publish's offset: safe to retry after `unavailable`.
     */
    idempotencyKey?: string;
  }

  interface HistoryOptions {
    /** How many of the newest messages (default and maximum: the server's limits.maxHistoryRequest). */
    limit?: number;
    /** Only the messages after this position (then `recovered` says whether all of them were there). */
    since?: { offset: number; epoch: string };
    /** Newest first instead of oldest first. */
    reverse?: boolean;
  }

  interface HistoryMessage<T = any> {
    offset: number;
    /** The published JSON value, or an ArrayBuffer when `binary`. */
    data: T;
    from?: string;
    binary?: true;
  }

  interface HistoryResult<T = any> {
    channel: string;
    /** The channel's epoch and latest offset (absent on an ephemeral channel). */
    epoch?: string;
    offset?: number;
    /** False when `since` could not be served (other epoch, trimmed, too many): no messages then. */
    recovered: boolean;
    messages: Array<HistoryMessage<T>>;
  }

  interface AckFrame {
    type: 'ack';
    id: number;
    offset?: number;
    [key: string]: unknown;
  }

  interface CloseInfo {
    /**
     * Close code (a WebSocket's, or an event stream's `close` frame; 1006 when a stream ended without
     * one); 4000 = heartbeat or connect timeout, 4001 = send failed (client side).
     */
    code: number;
    reason: string;
    /** False only after client.close(). */
    willReconnect: boolean;
  }

  interface ReconnectingInfo {
    /** 1 for the first retry after a connection was lost, reset by a welcome. */
    attempt: number;
    /** ms until the next connect. */
    delay: number;
    /** Close code that caused it, null when the connect itself failed (e.g. tokenProvider). */
    code: number | null;
  }

  interface PresenceEvent {
    type: 'join' | 'leave';
    channel: string;
    user: string;
    [key: string]: unknown;
  }

  interface MessageEvent {
    channel: string;
    /** Absent on an ephemeral channel. */
    offset?: number;
    from?: string;
    data: unknown;
    binary: boolean;
  }

  interface ResyncInfo {
    channel: string;
    /** The offset whose delta did not apply. */
    offset: number;
    /** Why: no base (the previous offset is missing), bad checksum, a malformed delta. */
    reason: string;
  }

  interface EventMap {
    /** The connection opened (the welcome follows). */
    open: { url: string; transport: TransportKind };
    /** The server's welcome: requests flow from here on. */
    welcome: WelcomeFrame;
    close: CloseInfo;
    reconnecting: ReconnectingInfo;
    /** Error frames without a request id, connection errors, refused tokens. */
    error: PulseError;
    /** A subscription lost messages for good (see SubscribeOptions.onRecovery). */
    recovery: RecoveryInfo;
    join: PresenceEvent;
    leave: PresenceEvent;
    /** Every message delivered to subscribers (after dedupe). */
    message: MessageEvent;
    /**
     * A session began on another transport than the last one (and the first time); also dispatched
     * as a `pulse-transport` DOM event on document (and through apex.jQuery) with the same detail.
     */
    transport: TransportInfo;
    /** A delta did not apply: the client resubscribes from the last delivered message. */
    resync: ResyncInfo;
  }

  type ClientState = 'connecting' | 'open' | 'ready' | 'reconnecting' | 'closed';

  class PulseClient {
    private constructor(options: ConnectOptions);
    readonly state: ClientState;
    /** True once the server's welcome arrived on the current socket. */
    readonly connected: boolean;
    /** The last welcome frame, or null. */
    readonly welcome: WelcomeFrame | null;
    /** The transport of the current (or last) session, null before the first welcome. */
    readonly transport: TransportKind | null;

    on<K extends keyof EventMap>(event: K, listener: (arg: EventMap[K]) => void): this;
    off<K extends keyof EventMap>(event: K, listener?: (arg: EventMap[K]) => void): this;

    /**
     * Listen to a channel. Sent now when connected, else on the next connect; after every
     * reconnect it is resubscribed with `since: {offset, epoch}` of the last delivered message
     * so missed messages are replayed. A message whose offset is <= the last delivered one
     * (same epoch) is never delivered twice.
     *
     * Binary messages arrive as an ArrayBuffer (`meta.binary === true`). Wire layout of a
     * binary frame: byte 0 = version (1); bytes 1-2 = channel length N, uint16 big-endian;
     * N bytes channel (UTF-8); 8 bytes offset, uint64 big-endian; then the payload.
     */
    subscribe<T = any>(
      channel: string,
      onMessage: (data: T, meta: MessageMeta) => void,
      options?: SubscribeOptions,
    ): Subscription;

    /**
     * Publish a message; resolves with the offset the server gave it. JSON data goes as a
     * `publish` text frame. An ArrayBuffer or typed array goes as a binary frame with the
     * layout described at `subscribe`, where the 8-byte offset field carries this request's
     * id; the server answers `{"type":"ack","id":<that id>,"offset":…}`.
     *
     * Never retried by the client: if the connection closes before the ack, it rejects with
     * code `unavailable` (the message may or may not have been published); with
     * `options.idempotencyKey` sending it again is safe. No offset on an ephemeral channel.
     */
    publish(channel: string, data: unknown, options?: PublishOptions): Promise<{ offset?: number }>;
    publish(channel: string, data: ArrayBuffer | ArrayBufferView): Promise<{ offset?: number }>;

    /** Who is on a channel (`forbidden` when the channel's options turn presence off). */
    presence(channel: string): Promise<PresenceResult>;

    /**
     * A channel's past over the socket (needs the subscribe grant; rate-limited by the server):
     * the newest messages oldest first, or those after `since`.
     */
    history<T = any>(channel: string, options?: HistoryOptions): Promise<HistoryResult<T>>;

    /** Run a triggerable server job now (needs a `trig` grant). Resolves with the ack frame. */
    trigger(job: string): Promise<AckFrame>;

    /** Close for good: no reconnect; pending requests reject with `unavailable`. */
    close(): void;
  }

  interface ApexLike {
    region?(staticId: string): { refresh(): unknown } | null | undefined;
    item?(name: string): { setValue(value: unknown, displayValue?: unknown, suppressChangeEvent?: boolean): void };
    message?: {
      showPageSuccess(message: string): void;
      showErrors(errors: Array<{ type: 'error'; location: 'page'; message: string; unsafe: boolean }>): void;
    };
    util?: { escapeHTML(s: string): string };
    jQuery?: any;
  }

  interface ApexHelperOptions {
    /** The APEX namespace; default `window.apex`. Without it the helpers do nothing. */
    apex?: ApexLike;
  }

  /** Message detail of the `pulse-message` DOM / jQuery event. */
  interface PulseMessageDetail {
    channel: string;
    /** Absent on an ephemeral channel. */
    offset?: number;
    data: unknown;
    from?: string;
  }

  /**
   * Oracle APEX glue. Each returns a Subscription; without `window.apex` (or options.apex)
   * refreshRegionOn/setItemsOn/notifyOn subscribe nothing and return an inert one.
   */
  const apex: {
    /**
     * `apex.region(staticId).refresh()` when messages arrive, debounced (default 250 ms, with
     * `maxWait`, default max(4 x debounce, 1000) ms, so a steady stream still refreshes), and
     * when messages were lost across a reconnect.
     */
    refreshRegionOn(
      client: PulseClient,
      channel: string,
      staticId: string,
      options?: ApexHelperOptions & { debounce?: number; maxWait?: number },
    ): Subscription;

    /**
     * `apex.item(name).setValue(v)` per message, for each `{itemName: source}`: a dotted field
     * path ("order.total", "rows.0.name", "$" for the whole message) or a function. Fields
     * missing from a message leave the item alone; null sets ''.
     */
    setItemsOn(
      client: PulseClient,
      channel: string,
      items: Record<string, string | ((data: any, meta: MessageMeta) => unknown)>,
      options?: ApexHelperOptions & { suppressChangeEvent?: boolean },
    ): Subscription;

    /**
     * A page notification per message: `apex.message.showPageSuccess` or (type 'error')
     * `apex.message.showErrors`. `text` is a function or a field path; default: the message if
     * it is a string, else its `message` or `text` field. HTML-escaped unless `html: true`.
     */
    notifyOn(
      client: PulseClient,
      channel: string,
      options?: ApexHelperOptions & {
        type?: 'success' | 'error';
        text?: string | ((data: any, meta: MessageMeta) => unknown);
        html?: boolean;
      },
    ): Subscription;

    /**
     * Dispatch a bubbling DOM CustomEvent `pulse-message` (detail: PulseMessageDetail) on
     * `target` (default `document`) per message, and when `apex.jQuery` exists also
     * `apex.jQuery(target).trigger('pulse-message', [detail])`, so a Dynamic Action on the
     * Custom Event "pulse-message" fires once with `this.data` = detail. Works without APEX.
     */
    eventsOn(
      client: PulseClient,
      channel: string,
      target?: EventTarget | null,
      options?: ApexHelperOptions,
    ): Subscription;
  };

  /** Internals exposed for tests; not a stable API. */
  const _internal: {
    backoffDelay(attempt: number, options?: BackoffOptions, random?: () => number): number;
    reconnectDelay(
      code: number | null,
      attempt: number,
      options?: { backoff?: BackoffOptions; restartDelay?: number },
      random?: () => number,
    ): number;
    encodeBinary(channel: string, offset: number, payload: ArrayBuffer | ArrayBufferView): ArrayBuffer;
    decodeBinary(frame: ArrayBuffer | ArrayBufferView): {
      version: number;
      channel: string;
      offset: number;
      payload: ArrayBuffer;
    };
    applyDelta(base: Uint8Array, delta: Uint8Array): Uint8Array;
    dataText(frame: string, hasFrom: boolean): string | null;
    normalizeChannel(channel: string): string;
    pick(value: unknown, path: string): unknown;
    debounce(fn: () => void, wait: number, maxWait: number, clock: Clock): { call(): void; cancel(): void };
    escapeHtml(s: string): string;
  };
}
