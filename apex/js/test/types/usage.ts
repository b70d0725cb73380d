// Compile-only check of pulse.d.ts (npm run typecheck); never executed.
import pulse = require('../../pulse');

const client = pulse.connect({
  url: 'wss://pulse.example.com/ws',
  tokenProvider: async ({ reason }) => (reason === 'auth' ? 'fresh' : 'cached'),
  backoff: { initial: 500, max: 20000 },
  transports: ['websocket', 'sse'],
  connectTimeout: 8000,
  websocketRetryInterval: 30000,
  delta: true,
});

client.on('transport', ({ transport, previous }) => console.log(transport, previous));
const kind: 'websocket' | 'sse' | null = client.transport;
console.log(kind);

client.on('reconnecting', ({ attempt, delay, code }) => console.log(attempt, delay, code));
client.on('error', (e) => console.log(e.code, e.message));
client.on('close', (c) => c.willReconnect);
client.on('recovery', (r) => r.channel);
client.on('resync', ({ channel, offset, reason }) => console.log(channel, offset, reason));

const sub = client.subscribe<{ text: string }>('chat/room/7', (data, meta) => {
  const text: string = data.text;
  const offset: number | undefined = meta.offset;
  if (meta.binary) console.log('binary');
  console.log(text, offset, meta.from);
}, {
  onRecovery: (info) => console.log(info.recovered),
  onSubscribed: (reply) => console.log(reply.epoch, reply.cache === true),
});
sub.ready.then((r) => r && r.offset);
sub.unsubscribe().then(() => undefined);

async function use(): Promise<void> {
  const { offset } = await client.publish('chat/room/7', { text: 'hi' });
  const bin = await client.publish('files/1', new Uint8Array([0, 255]));
  const p = await client.presence('chat/room/7');
  const ack = await client.trigger('order-stats');
  const once = await client.publish('orders/7', { status: 'paid' }, { idempotencyKey: 'order-7-paid' });
  const h = await client.history<{ text: string }>('chat/room/7', { limit: 20, since: { offset: 3, epoch: 'e' }, reverse: true });
  const first: string | undefined = h.messages[0]?.data.text;
  console.log(offset, bin.offset, once.offset, p.count, p.clients[0].user, ack.id, h.recovered, h.epoch, first);
  try {
    await client.publish('x', 1);
  } catch (e) {
    if (e instanceof pulse.PulseError && e.code === 'unavailable') console.log('retry later');
  }
}
void use();

pulse.apex.refreshRegionOn(client, 'orders', 'ORDERS', { debounce: 500 });
pulse.apex.setItemsOn(client, 'stats', { P1_TOTAL: 'total', P1_AT: (d) => d.at });
pulse.apex.notifyOn(client, 'alerts', { type: 'error', text: (d) => d.message });
pulse.apex.eventsOn(client, 'chat/room/7', document);
const delay: number = pulse._internal.backoffDelay(3, { initial: 1000, max: 30000, factor: 2 }, Math.random);
console.log(delay, client.state, client.connected, client.welcome?.heartbeat);
client.close();
