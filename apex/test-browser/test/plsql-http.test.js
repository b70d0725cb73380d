'use strict';
// pulse_pkg's HTTP side against the real gateway: online_count / online_users (GET …/presence)
// and notify_user's online and offline paths, through the JavaScript copy of the PL/SQL
// (apex/test-plsql/lib/pulse-pkg.js, checked against pulse_pkg.pkb by test-plsql) with apex_pwa
// emulated. Real WebSocket subscribers decide who is online.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Gateway } = require('../lib/gateway');
const app101 = require('../lib/app101');
const { PulsePkg, OutboxTransaction } = require('../../test-plsql/lib/pulse-pkg');

let gateway;
const open = [];

test.before(async () => {
  gateway = await new Gateway({ name: 'plsql-http', env: app101.ENV }).start();
});

test.after(async () => {
  for (const s of open) await s.close();
  if (gateway) await gateway.close();
});

async function subscriber(user, channels, name = null) {
  const s = await app101.subscriber(gateway, app101.token({ user, name, subCh: 'site/online,user/{sub}' }), channels);
  open.push(s);
  return s;
}

function pkg(pushes) {
  return new PulsePkg({ apps: { [app101.APP]: { gatewayUrl: `${gateway.base}/`, apiKey: app101.API_KEY } },
    pwa: (args) => pushes.push(args) });
}

/** The outbox poller's part: committed rows go out through the gateway's publish API. */
function transaction() {
  return new OutboxTransaction(async (row) => {
    const r = await gateway.request('POST', `/api/v1/apps/${row.appId}/publish`,
      { channel: row.channel, data: JSON.parse(row.payload) }, app101.API_KEY);
    assert.equal(r.status, 200, r.text);
  });
}

test('online_count and online_users: who is subscribed, from the gateway', async () => {
  const pushes = [];
  assert.equal(await pkg(pushes).onlineCount(app101.APP, 'site/online'), 0);
  assert.deepEqual(await pkg(pushes).onlineUsers(app101.APP, 'site/online'), []);
  await subscriber('SCOTT', ['site/online'], 'Scott Tiger');
  await subscriber('JANE', ['site/online']);
  await subscriber('JANE', ['site/online']); // a second tab: still one user
  assert.equal(await pkg(pushes).onlineCount(app101.APP, '/site/online'), 2);
  const users = await pkg(pushes).onlineUsers(app101.APP, 'site/online');
  assert.deepEqual(users.sort((a, b) => a.user_name.localeCompare(b.user_name)),
    [{ user_name: 'JANE', display_name: null }, { user_name: 'SCOTT', display_name: 'Scott Tiger' }]);
});

test('presence errors: a bad channel is refused before any request; a wrong API key is -20004', async () => {
  await assert.rejects(pkg([]).onlineCount(app101.APP, 'site//online'), /empty segment/);
  const wrong = new PulsePkg({ apps: { [app101.APP]: { gatewayUrl: gateway.base, apiKey: 'not-the-api-key-0123' } }, pwa: null });
  await assert.rejects(wrong.onlineCount(app101.APP, 'site/online'), /ORA-20004: gateway presence of site\/online failed: HTTP 401/);
});

test('notify_user, user online: published after commit, no push', async () => {
  const alice = await subscriber('ALICE', ['user/ALICE']);
  const pushes = [];
  const tx = transaction();
  await pkg(pushes).notifyUser(tx, app101.APP, 'ALICE', { title: 'Order 42 shipped', body: 'On its way', url: 'f?p=101:10' });
  assert.deepEqual(pushes, [], 'ALICE has a page open: no web push');
  assert.equal(alice.messages().length, 0, 'nothing before the commit');
  await tx.commit();
  const m = await alice.nextMessage('user/ALICE');
  assert.deepEqual(m.data, { title: 'Order 42 shipped', body: 'On its way', url: 'f?p=101:10' });
});

test('notify_user, user offline: a web push with title, body and URL; the message is still published', async () => {
  const other = await subscriber('CAROL', ['site/online']); // online elsewhere, not on her user channel
  const pushes = [];
  const tx = transaction();
  await pkg(pushes).notifyUser(tx, app101.APP, 'CAROL', { data: '{"order":7}', title: 'Order 7', body: 'Shipped', url: 'f?p=101:7' });
  assert.deepEqual(pushes, [{ p_application_id: app101.APP, p_user_name: 'CAROL', p_title: 'Order 7', p_body: 'Shipped', p_target_url: 'f?p=101:7' }]);
  await tx.commit();
  const h = await gateway.request('GET', `/api/v1/apps/${app101.APP}/history?channel=user/CAROL`, null, app101.API_KEY);
  assert.deepEqual(h.json.messages.map((x) => x.data), [{ order: 7 }]);
  assert.equal(other.messages().length, 0);
});

test('notify_user rolled back: nothing published', async () => {
  const tx = transaction();
  await pkg([]).notifyUser(tx, app101.APP, 'DAVE', { body: 'no title: no push' });
  tx.rollback();
  await tx.commit();
  const h = await gateway.request('GET', `/api/v1/apps/${app101.APP}/history?channel=user/DAVE`, null, app101.API_KEY);
  assert.deepEqual(h.json.messages, []);
});
