'use strict';
// The plug-ins' JavaScript as their exports render it, in headless Chromium, against the real
// gateway and an emulated APEX page (lib/apex-page.js: the export's files, its render and AJAX
// functions run by an emulator of their PL/SQL, an `apex` namespace that records what they do).
const test = require('node:test');
const assert = require('node:assert/strict');
const { Gateway } = require('../lib/gateway');
const { launch, screenshot } = require('../lib/browser');
const { ApexApp, LISTEN, LIVE_VALUE } = require('../lib/apex-page');
const app101 = require('../lib/app101');

let gateway;
let browser;
const apps = [];

test.before(async () => {
  gateway = await new Gateway({ name: 'plugins', env: app101.ENV }).start();
  browser = await launch();
});

test.after(async () => {
  if (browser) await browser.close();
  for (const a of apps) await a.close();
  if (gateway) await gateway.close();
});

async function app(readable = 'dashboard/**,public/**,user/{sub}') {
  const settings = { attribute_01: `ws://127.0.0.1:${gateway.port}/ws`, attribute_02: readable };
  const a = await new ApexApp({ appId: app101.APP, secret: app101.SECRET, settings: { [LISTEN]: settings, [LIVE_VALUE]: settings } }).start();
  apps.push(a);
  return a;
}

const opened = [];
async function open(a, page) {
  const p = await a.open(browser, page);
  opened.push(p);
  return p;
}

// every test closes its pages (and listens on channels of its own: presence may lag a closed socket)
test.afterEach(async () => {
  for (const p of opened.splice(0)) await p.context().close();
});

const log = (p) => p.evaluate(() => window.apexLog);

async function publish(channel, data) {
  const r = await gateway.request('POST', `/api/v1/apps/${app101.APP}/publish`, { channel, data }, app101.API_KEY);
  assert.equal(r.status, 200, r.text);
}

/** Waits until the channel has a subscriber (the page subscribed) — presence counts users. */
async function subscribed(channel, users = 1) {
  const deadline = Date.now() + 20000;
  for (;;) {
    const r = await gateway.request('GET', `/api/v1/apps/${app101.APP}/presence?channel=${encodeURIComponent(channel)}`, null, app101.API_KEY);
    if (r.status === 200 && r.json.connections >= users) return;
    if (Date.now() > deadline) throw new Error(`nobody subscribed to ${channel}: ${r.text}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

const until = (p, fn, arg) => p.waitForFunction(fn, arg, { timeout: 20000 });

test('Listen: a publish refreshes the regions, sets the items, shows the message and fires the event', async () => {
  const a = await app();
  const p = await open(a, {
    user: 'SCOTT',
    items: { P1_DEPTNO: '3', P1_TOTAL: '', P1_FIRST: '' },
    regions: ['ORDERS_CHART', 'ORDERS_REPORT'],
    listen: [{
      attribute_01: 'dashboard/department/&P1_DEPTNO.',
      attribute_02: 'ORDERS_CHART, ORDERS_REPORT',
      attribute_03: 'P1_TOTAL=total,P1_FIRST=rows.0.orders',
      attribute_04: 'SUCCESS',
      attribute_05: 'Order #order# is now #status#',
      attribute_06: 'Y',
      attribute_07: '0',
    }],
  });
  // a Dynamic Action on the plug-in's event
  await p.evaluate(() => { window.daHandlers['apexpulse-message'] = [function () { window.apexLog.handled.push(this.data); }]; });
  await subscribed('dashboard/department/3');

  await publish('dashboard/department/3', { total: 42, rows: [{ orders: 7 }], order: 5, status: '<b>SHIPPED</b>' });
  await until(p, () => window.apexLog.handled.length === 1);
  const l = await log(p);
  assert.deepEqual(l.refreshed, ['ORDERS_CHART', 'ORDERS_REPORT']);
  assert.deepEqual(l.items, [['P1_TOTAL', '42'], ['P1_FIRST', '7']]);
  assert.equal(await p.inputValue('#P1_TOTAL'), '42');
  assert.deepEqual(l.success, ['Order 5 is now &lt;b&gt;SHIPPED&lt;/b&gt;'], 'the message is HTML-escaped');
  assert.equal(l.events.length, 1);
  assert.equal(l.events[0].target, 'body');
  assert.equal(l.events[0].name, 'apexpulse-message');
  assert.deepEqual(l.handled[0].data, { total: 42, rows: [{ orders: 7 }], order: 5, status: '<b>SHIPPED</b>' });
  assert.equal(l.handled[0].channel, 'dashboard/department/3');
  assert.equal(l.handled[0].offset, 1);

  // the token came from the plug-in's own AJAX callback, signed for the APEX user with the settings' grants
  assert.equal(a.ajaxCalls.length, 1);
  const claims = JSON.parse(Buffer.from(a.tokens[0].split('.')[1], 'base64url').toString());
  assert.equal(claims.sub, 'SCOTT');
  assert.equal(claims.app, app101.APP);
  assert.deepEqual(claims.sub_ch, ['dashboard/**', 'public/**', 'user/{sub}']);
  assert.equal(claims.exp - claims.iat, 900);
  assert.equal(claims.pub_ch, undefined, 'the page may not publish');
  assert.deepEqual(p.errors, []);
  await screenshot(p, 'plugin-listen');
});

test('one connection per page: two Listen actions and a Live Value region share it; the region keeps its value current', async () => {
  const a = await app();
  const p = await open(a, {
    user: 'JANE',
    items: { P1_INITIAL: '<17>', P1_LAST: '' },
    regions: ['ORDERS'],
    liveValues: [{ staticId: 'TOTAL_TILE', attribute_01: 'dashboard/tiles', attribute_02: 'rows.0.orders', attribute_03: '&P1_INITIAL.' }],
    listen: [
      { attribute_01: 'dashboard/tiles', attribute_02: 'ORDERS', attribute_07: '0' },
      { attribute_01: 'user/&APP_USER.', attribute_03: 'P1_LAST=.', attribute_07: '0' },
    ],
  });
  assert.equal(await p.textContent('#TOTAL_TILE_value'), '<17>', 'the initial value, substituted and escaped on the server');
  await subscribed('dashboard/tiles');
  await subscribed('user/JANE');
  await publish('dashboard/tiles', { rows: [{ status: 'NEW', orders: 23 }], at: 'now' });
  await until(p, () => document.getElementById('TOTAL_TILE_value').textContent === '23');
  await until(p, () => window.apexLog.refreshed.length === 1);
  await publish('user/JANE', 'hello Jane');
  await until(p, () => document.getElementById('P1_LAST').value === 'hello Jane');
  assert.equal(p.sockets.length, 1, `sockets: ${p.sockets}`);
  assert.equal(a.ajaxCalls.length, 1, 'one token for the page');
  assert.deepEqual(p.errors, []);
  await screenshot(p, 'plugin-live-value');
});

test('debounce: a burst of messages is handled once or a few times, with the last message', async () => {
  const a = await app();
  const p = await open(a, {
    user: 'SCOTT',
    items: { P1_N: '' },
    regions: ['BURST'],
    listen: [{ attribute_01: 'dashboard/burst', attribute_02: 'BURST', attribute_03: 'P1_N=n', attribute_07: '300' }],
  });
  await subscribed('dashboard/burst');
  const batch = { messages: Array.from({ length: 20 }, (_, i) => ({ channel: 'dashboard/burst', data: { n: i + 1 } })) };
  const r = await gateway.request('POST', `/api/v1/apps/${app101.APP}/publish`, batch, app101.API_KEY);
  assert.equal(r.status, 200, r.text);
  await until(p, () => document.getElementById('P1_N').value === '20');
  const l = await log(p);
  assert.ok(l.refreshed.length >= 1 && l.refreshed.length < 20, `refreshed ${l.refreshed.length} times for 20 messages`);
  assert.equal(l.items[l.items.length - 1][1], '20');
});

test('the channel follows its item: running the action again after a change moves the subscription', async () => {
  const a = await app();
  const p = await open(a, {
    user: 'SCOTT',
    items: { P1_DEPTNO: '10', P1_V: '' },
    listen: [{ attribute_01: 'dashboard/department/&P1_DEPTNO.', attribute_03: 'P1_V=v', attribute_07: '0' }],
  });
  await subscribed('dashboard/department/10');
  // the item's Change event runs the same action again
  await p.fill('#P1_DEPTNO', '20');
  await p.evaluate(() => apexPulse.listenAction.call({ action: window.pageActions[0] }));
  await subscribed('dashboard/department/20');
  await publish('dashboard/department/10', { v: 'old' });
  await publish('dashboard/department/20', { v: 'new' });
  await until(p, () => document.getElementById('P1_V').value === 'new');
  assert.deepEqual((await log(p)).items, [['P1_V', 'new']]);
});

test('public page (APEX user nobody): anonymous connection, no token asked, public channels only', async () => {
  const a = await app();
  const p = await open(a, {
    user: 'nobody',
    items: { P1_NEWS: '' },
    listen: [{ attribute_01: 'public/news', attribute_03: 'P1_NEWS=title', attribute_07: '0' }],
  });
  await subscribed('public/news');
  await publish('public/news', { title: 'open day' });
  await until(p, () => document.getElementById('P1_NEWS').value === 'open day');
  assert.equal(a.ajaxCalls.length, 0);
  assert.match(p.sockets[0], /[?&]app=101(&|$)/);
});

test('a channel the settings do not grant: reported to apex.debug and the console, the page goes on', async () => {
  const a = await app('user/{sub}');
  const p = await open(a, {
    user: 'SCOTT',
    items: { P1_OK: '' },
    listen: [
      { attribute_01: 'dashboard/secret', attribute_07: '0' },
      { attribute_01: 'user/&APP_USER.', attribute_03: 'P1_OK=.', attribute_07: '0' },
    ],
  });
  await until(p, () => window.apexLog.debug.length > 0);
  const l = await log(p);
  assert.match(l.debug[0][1], /apex-pulse: subscribe dashboard\/secret: .*forbidden|not allowed/i);
  await subscribed('user/SCOTT');
  await publish('user/SCOTT', 'still listening');
  await until(p, () => document.getElementById('P1_OK').value === 'still listening');
  assert.ok(p.errors.every((e) => /apex-pulse: subscribe dashboard\/secret/.test(e)), p.errors.join('\n'));
});

test('apex/README.md "The plug-ins (start here)": its three steps, with its values, give a self-refreshing region', async () => {
  const fs = require('node:fs');
  const path = require('node:path');
  const readme = fs.readFileSync(path.resolve(__dirname, '..', '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## The plug-ins (start here)'), readme.indexOf('## The JavaScript route'));
  const after = (label) => {
    const m = new RegExp(`${label}[^\`]*\`([^\`]+)\``).exec(section);
    assert.ok(m, `README: no value after ${label}`);
    return m[1];
  };
  // step 1: the file it says to import is there
  const exportFile = after('Plug-ins > Import\\*:');
  assert.ok(fs.existsSync(path.resolve(__dirname, '..', '..', '..', exportFile)), exportFile);
  // step 2: the local gateway URL (on the test gateway's port) and the readable channels
  const url = after('locally').replace(':8080/', `:${gateway.port}/`);
  const readable = after('e.g.\\n?\\s*');
  // step 3: the region and the action
  const staticId = after('Static ID\\*');
  const channel = after('\\*Channel\\*');
  const regions = after('\\*Refresh Regions\\*');
  assert.deepEqual([readable, staticId, channel, regions], ['dashboard/**,site/online,user/{sub}', 'ORDERS_CHART', 'dashboard/orders', 'ORDERS_CHART']);

  const settings = { attribute_01: url, attribute_02: readable };
  const a = await new ApexApp({ appId: app101.APP, secret: app101.SECRET, settings: { [LISTEN]: settings, [LIVE_VALUE]: settings } }).start();
  apps.push(a);
  const p = await open(a, { user: 'NEWBIE', regions: [staticId], listen: [{ attribute_01: channel, attribute_02: regions }] });
  await subscribed(channel);
  await publish(channel, JSON.parse(/pulse_pkg\.publish\('100', 'dashboard\/orders', '([^']+)'\)/.exec(section)[1]));
  await until(p, (id) => window.apexLog.refreshed.includes(id), staticId).catch((e) => {
    throw new Error(`${e.message}\n${p.errors.join('\n')}`);
  });
  assert.deepEqual(p.errors, []);
});
