'use strict';
// pulse_pkg's presence functions and notify_user, offline: the PL/SQL text does, step by step,
// what the JavaScript copy lib/pulse-pkg.js does (the browser suite runs that copy against a real
// gateway with real subscribers: apex/test-browser/test/plsql-http.test.js), and the copy's own
// rules hold. No Oracle runs here; apex/test-plsql/oracle/ has the same scenarios for a database.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { PulsePkg, OutboxTransaction, utlUrlEscape } = require('../lib/pulse-pkg');

const SQL_DIR = path.resolve(__dirname, '..', '..', 'sql');
const body = fs.readFileSync(path.join(SQL_DIR, 'pulse_pkg.pkb'), 'utf8').replace(/--.*$/gm, '');
const spec = fs.readFileSync(path.join(SQL_DIR, 'pulse_pkg.pks'), 'utf8');

/** The text of one subprogram of the package body, from its header to `end <name>;`. */
function unit(name) {
  const m = new RegExp(`\\n  (?:function|procedure) ${name}\\(([\\s\\S]*?)\\n  end ${name};`).exec(body);
  assert.ok(m, `pulse_pkg.pkb: ${name} not found`);
  return m[0];
}

/** Asserts that the fragments occur in this order (whitespace-insensitive). */
function inOrder(text, fragments, what) {
  const flat = text.replace(/\s+/g, ' ');
  let at = -1;
  for (const f of fragments) {
    const i = flat.indexOf(f.replace(/\s+/g, ' '), at + 1);
    assert.ok(i > at, `${what}: "${f}" missing or out of order`);
    at = i;
  }
}

/** Placeholders of a dynamic block in order of first appearance, and its USING list. */
function binds(text) {
  const q = /q'\[([\s\S]*?)\]'/.exec(text)[1];
  const placeholders = [...new Set([...q.matchAll(/:([a-z_]+)/g)].map((m) => m[1]))];
  const using = /using\s+([\s\S]*?);/.exec(text)[1].split(',').map((s) => s.trim().replace(/\s+/g, ' '));
  return { block: q, placeholders, using };
}

test('spec: the functions and the procedure the issue asks for', () => {
  inOrder(spec, [
    'type t_online_user is record ( user_name varchar2(255), display_name varchar2(255));',
    'type t_online_users is table of t_online_user;',
    'function presence_json( p_app_id in varchar2, p_channel in varchar2) return clob;',
    'function online_count( p_app_id in varchar2, p_channel in varchar2) return number;',
    'function online_users( p_app_id in varchar2, p_channel in varchar2) return t_online_users pipelined;',
    'procedure notify_user( p_app_id in varchar2, p_user in varchar2, p_data in clob default null,'
      + ' p_title in varchar2 default null, p_body in varchar2 default null, p_url in varchar2 default null);',
  ], 'pulse_pkg.pks');
});

test('gateway_request: the API key, URL, method and body reach apex_web_service in bind order', () => {
  const b = binds(unit('gateway_request'));
  assert.deepEqual(b.placeholders, ['api_key', 'response', 'url', 'method', 'body', 'status']);
  assert.deepEqual(b.using, ['in l_api_key', 'out l_response', 'in l_url || p_path', 'in p_method', 'in p_body', 'out o_status']);
  inOrder(b.block, ["'Authorization'", "'Bearer ' || :api_key", 'apex_web_service.make_rest_request(',
    'p_url => :url', 'p_http_method => :method', 'p_body => :body', ':status := apex_web_service.g_status_code'], 'gateway_request');
  inOrder(unit('gateway_of'), ["select rtrim(s.gateway_url, '/'), s.api_key", 'raise_application_error(-20005'], 'gateway_of');
});

test('presence: GET /api/v1/apps/{app}/presence?channel=<utl_url.escape>, 200 or -20004; count; clients', () => {
  inOrder(unit('presence_json'), ['auth_pkg.check_app_id(p_app_id)', 'l_channel := normalize_channel(p_channel)',
    "gateway_request(p_app_id, 'GET', '/api/v1/apps/' || p_app_id || '/presence?channel=' || utl_url.escape(l_channel, true, 'AL32UTF8'), null, l_status)",
    'if l_status is null or l_status <> 200 then', 'raise_application_error(-20004,'], 'presence_json');
  inOrder(unit('online_count'), ["json_object_t.parse(presence_json(p_app_id, p_channel)).get_number('count')"], 'online_count');
  inOrder(unit('online_users'), ["json_object_t.parse(presence_json(p_app_id, p_channel)).get_array('clients')",
    'for i in 0 .. l_clients.get_size - 1 loop', "l_row.user_name := l_client.get_string('user')",
    "l_row.display_name := l_client.get_string('name')", 'pipe row (l_row);'], 'online_users');
});

test('notify_user: publish in the transaction, then presence, then a push only when nobody listens', () => {
  inOrder(unit('notify_user'), [
    'auth_pkg.check_app_id(p_app_id)',
    "l_channel := normalize_channel('user/' || p_user)",
    'if l_data is null then', 'if p_title is null and p_body is null and p_url is null then', 'raise_application_error(-20003',
    "if p_title is not null then l_message.put('title', p_title)",
    "if p_body is not null then l_message.put('body', p_body)",
    "if p_url is not null then l_message.put('url', p_url)",
    'l_data := l_message.to_clob()',
    'publish(p_app_id, l_channel, l_data)',
    'if p_title is null then return;',
    'l_online := online_count(p_app_id, l_channel)',
    'when others then l_online := 0;',
    'if l_online = 0 then push(p_app_id, p_user, p_title, p_body, p_url)',
  ], 'notify_user');
  assert.doesNotMatch(unit('notify_user'), /\bcommit\b|autonomous/i);
});

test('push: apex_pwa.send_push_notification with the documented parameter names, bound in order', () => {
  // APEX 23.1+ (https://docs.oracle.com/en/database/oracle/apex/23.2/aeapi/APEX_PWA.SEND_PUSH_NOTIFICATION-Procedure.html):
  // p_application_id, p_user_name, p_title, p_body, p_icon_url, p_target_url
  const b = binds(unit('push'));
  inOrder(b.block, ['apex_pwa.send_push_notification(', 'p_application_id => :app_id', 'p_user_name => :user_name',
    'p_title => :title', 'p_body => :body', 'p_target_url => :url'], 'push');
  assert.deepEqual(b.placeholders, ['app_id', 'user_name', 'title', 'body', 'url']);
  assert.deepEqual(b.using, ['in p_app_id', 'in p_user', 'in p_title', 'in p_body', 'in p_url']);
  inOrder(unit('push'), ['pragma exception_init(e_no_apex_pwa, -6550)', 'when e_no_apex_pwa then', 'raise_application_error(-20007,'], 'push');
});

test('utl_url.escape copy: unreserved characters kept, the rest as %XX of UTF-8 bytes', () => {
  assert.equal(utlUrlEscape('site/online'), 'site%2Fonline');
  assert.equal(utlUrlEscape('user/jane.doe@example.com'), 'user%2Fjane.doe%40example.com');
  assert.equal(utlUrlEscape('a:b_c-d'), 'a%3Ab_c-d');
  assert.equal(utlUrlEscape('ä'), '%C3%A4');
  assert.equal(decodeURIComponent(utlUrlEscape('x/y:z@w')), 'x/y:z@w');
});

// A port nothing listens on: a gateway that is down.
async function closedPort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

test('notify_user without a reachable gateway: the message is queued and the push goes out', async () => {
  const port = await closedPort();
  const pushes = [];
  const pkg = new PulsePkg({ apps: { 100: { gatewayUrl: `http://127.0.0.1:${port}/`, apiKey: 'k'.repeat(20) } }, pwa: (a) => pushes.push(a) });
  const published = [];
  const tx = new OutboxTransaction(async (r) => published.push(r));
  await pkg.notifyUser(tx, '100', 'jane', { title: 'Shipped', url: 'f?p=100:10' });
  assert.deepEqual(tx.rows, [{ appId: '100', channel: 'user/jane', payload: '{"title":"Shipped","url":"f?p=100:10"}' }]);
  assert.deepEqual(pushes, [{ p_application_id: '100', p_user_name: 'jane', p_title: 'Shipped', p_body: null, p_target_url: 'f?p=100:10' }]);
  tx.rollback();
  await tx.commit();
  assert.deepEqual(published, [], 'a rollback publishes nothing');
});

test('notify_user: no title, no push; no apex_pwa, -20007; nothing to say, -20003; a user name that is no channel segment, refused', async () => {
  const port = await closedPort();
  const apps = { 100: { gatewayUrl: `http://127.0.0.1:${port}`, apiKey: 'k'.repeat(20) } };
  const tx = new OutboxTransaction(async () => {});
  const pushes = [];
  await new PulsePkg({ apps, pwa: (a) => pushes.push(a) }).notifyUser(tx, '100', 'jane', { data: '{"order":42}' });
  assert.deepEqual(pushes, []);
  assert.equal(tx.rows[0].payload, '{"order":42}');
  await assert.rejects(new PulsePkg({ apps, pwa: null }).notifyUser(tx, '100', 'jane', { title: 'x' }), /ORA-20007: notify_user: jane has no page open/);
  await assert.rejects(new PulsePkg({ apps, pwa: null }).notifyUser(tx, '100', 'jane', {}), /ORA-20003/);
  assert.throws(() => new PulsePkg({ apps, pwa: null }).publish(tx, '100', 'user/a b', '{}'), /not allowed/);
});

test('oracle/apex_pwa_stub.sql (for a real Oracle later) parses and declares the documented signature', () => {
  const { checkFile, formatErrors } = require('../lib/check');
  const file = path.resolve(__dirname, '..', 'oracle', 'apex_pwa_stub.sql');
  const r = checkFile(file);
  assert.deepEqual(r.errors, [], formatErrors(file, r.errors));
  inOrder(fs.readFileSync(file, 'utf8'), ['create or replace package apex_pwa', 'procedure send_push_notification(',
    'p_application_id in number default null,', 'p_user_name in varchar2,', 'p_title in varchar2,',
    'p_body in varchar2 default null,', 'p_icon_url in varchar2 default null,', 'p_target_url in varchar2 default null);'], 'apex_pwa_stub.sql');
});
