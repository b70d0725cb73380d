'use strict';
// pulse.js and binary messages in headless Chromium against a real gateway: bytes arrive as an
// ArrayBuffer with the exact content, a published Uint8Array reaches another page byte for byte,
// and client.trigger(job) resolves on the server's ack.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Gateway } = require('../lib/gateway');
const { launch, openPage } = require('../lib/browser');

let gw;
let browser;

before(async () => {
  gw = await new Gateway({ name: 'binary' }).start();
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close().catch(() => {});
  if (gw) await gw.close();
});

/** A page with its own pulse.js client for `user`, subscribed to `channel`; received messages in window.got. */
async function clientPage(user, channel) {
  const page = await openPage(browser, `${gw.base}/playground.html?user=${user}`);
  await page.waitForFunction(() => typeof window.pulse !== 'undefined');
  await page.evaluate(async ({ user, channel }) => {
    window.got = [];
    const client = window.pulse.connect({
      url: `ws://${location.host}/ws`,
      tokenProvider: () => fetch(`/dev/token?user=${user}`).then((r) => r.json()).then((j) => j.token),
    });
    window.binClient = client;
    await new Promise((resolve, reject) => {
      client.subscribe(channel, (data, meta) => {
        window.got.push({
          offset: meta.offset,
          binary: !!meta.binary,
          isArrayBuffer: data instanceof ArrayBuffer,
          bytes: data instanceof ArrayBuffer ? Array.from(new Uint8Array(data)) : data,
        });
      }).ready.then(resolve, reject);
    });
  }, { user, channel });
  return page;
}

const ALL = Array.from({ length: 256 }, (_, i) => i);

test('a binary HTTP publish arrives in pulse.js as an ArrayBuffer with the exact bytes', async () => {
  const page = await clientPage('bina', 'bin/browser');
  try {
    const r = await fetch(`${gw.base}/api/v1/apps/100/publish?channel=bin/browser`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${gw.apiKey}`, 'Content-Type': 'application/octet-stream' },
      body: Buffer.from(ALL),
    });
    assert.equal(r.status, 200, await r.clone().text());
    const offset = (await r.json()).results[0].offset;
    await page.waitForFunction((o) => window.got.some((m) => m.offset === o), offset, { timeout: 5000 });
    const m = await page.evaluate((o) => window.got.find((x) => x.offset === o), offset);
    assert.equal(m.binary, true);
    assert.equal(m.isArrayBuffer, true);
    assert.deepEqual(m.bytes, ALL);
  } finally {
    await page.context().close();
  }
});

test('a Uint8Array published by one page reaches another byte for byte; JSON still arrives as JSON', async () => {
  const sender = await clientPage('sender', 'bin/pages');
  const receiver = await clientPage('receiver', 'bin/pages');
  try {
    const acks = await sender.evaluate(async () => {
      const a = await window.binClient.publish('bin/pages', new Uint8Array([0, 255, 1, 254, 0]));
      const b = await window.binClient.publish('bin/pages', new Uint8Array(0));
      const c = await window.binClient.publish('bin/pages', { text: 'json' });
      return [a.offset, b.offset, c.offset];
    });
    assert.ok(acks.every((o) => Number.isInteger(o) && o > 0), String(acks));
    await receiver.waitForFunction((o) => window.got.some((m) => m.offset === o), acks[2], { timeout: 5000 });
    const got = await receiver.evaluate(() => window.got);
    assert.deepEqual(got.map((m) => m.offset), acks);
    assert.deepEqual(got[0], { offset: acks[0], binary: true, isArrayBuffer: true, bytes: [0, 255, 1, 254, 0] });
    assert.deepEqual(got[1], { offset: acks[1], binary: true, isArrayBuffer: true, bytes: [] });
    assert.deepEqual(got[2], { offset: acks[2], binary: false, isArrayBuffer: false, bytes: { text: 'json' } });
  } finally {
    await sender.context().close();
    await receiver.context().close();
  }
});

test('client.trigger(job) resolves with the ack for a triggerable job and rejects an unknown one', async () => {
  const page = await clientPage('trigger', 'demo/ticker');
  try {
    const result = await page.evaluate(async () => {
      const ack = await window.binClient.trigger('demo-ticker');
      let unknown = null;
      try {
        await window.binClient.trigger('no-such-job');
      } catch (e) {
        unknown = e.code;
      }
      return { type: ack.type, unknown };
    });
    assert.equal(result.type, 'ack');
    assert.equal(result.unknown, 'not_found');
    // the triggered run publishes on demo/ticker like the scheduled ones
    await page.waitForFunction(() => window.got.length > 0, null, { timeout: 5000 });
  } finally {
    await page.context().close();
  }
});
