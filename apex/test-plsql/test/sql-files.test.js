'use strict';
// Every script of the PL/SQL kit (apex/sql) must parse with the Oracle PL/SQL
// grammar, statement by statement, as SQL*Plus would send them.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { checkFile, formatErrors } = require('../lib/check');
const { splitScript } = require('../lib/sqlplus');

const split = (f) => splitScript(fs.readFileSync(path.join(SQL_DIR, f), 'utf8'));

const SQL_DIR = path.resolve(__dirname, '..', '..', 'sql');
const files = fs.readdirSync(SQL_DIR).filter((f) => /\.(sql|pks|pkb)$/i.test(f)).sort();
const read = (f) => fs.readFileSync(path.join(SQL_DIR, f), 'utf8');

test('apex/sql holds the kit', () => {
  for (const f of ['pulse_schema.sql', 'auth_pkg.pks', 'auth_pkg.pkb', 'pulse_pkg.pks', 'pulse_pkg.pkb',
    'apex_ajax_token.sql', 'order_status_trigger.sql', 'install.sql', 'uninstall.sql']) {
    assert.ok(files.includes(f), `missing apex/sql/${f}`);
  }
});

for (const f of files) {
  test(`${f} parses as Oracle SQL / PL/SQL`, () => {
    const file = path.join(SQL_DIR, f);
    const result = checkFile(file);
    assert.ok(result.statements.length > 0, `${f}: no statement found`);
    assert.equal(result.errors.length, 0, `\n${formatErrors(file, result.errors)}`);
  });
}

test('package specs and bodies are one unit each, ended by /', () => {
  for (const f of files.filter((x) => /\.pk[sb]$/.test(x))) {
    const { statements } = split(f);
    assert.equal(statements.length, 1, f);
    assert.equal(statements[0].kind, 'plsql', f);
    assert.equal(statements[0].terminatedBy, '/', f);
    const kind = f.endsWith('.pks') ? 'package' : 'package body';
    const name = f.replace(/\.pk[sb]$/, '');
    assert.match(statements[0].text, new RegExp(`create\\s+or\\s+replace\\s+${kind.replace(' ', '\\s+')}\\s+${name}\\b`, 'i'), f);
  }
});

test('install.sql runs the kit in dependency order with @@, and only files that exist', () => {
  const { commands } = split('install.sql');
  const runs = commands.map((c) => c.text).filter((t) => t.startsWith('@')).map((t) => t.replace(/^@@?/, '').trim());
  assert.deepEqual(runs, ['pulse_schema.sql', 'auth_pkg.pks', 'auth_pkg.pkb', 'pulse_pkg.pks', 'pulse_pkg.pkb']);
  for (const r of runs) assert.ok(files.includes(r), `install.sql runs missing file ${r}`);
  assert.ok(commands.some((c) => /^whenever\s+sqlerror\s+exit/i.test(c.text)), 'install.sql should stop on the first error');
});

test('install scripts are re-runnable: tables only through an ORA-00955-tolerant execute immediate', () => {
  for (const f of files) {
    const { statements } = split(f);
    for (const st of statements) {
      assert.doesNotMatch(st.code, /^\s*create\s+(table|index|sequence)\b/im,
        `${f}:${st.startLine}: a plain CREATE TABLE/INDEX/SEQUENCE fails on the second run`);
      assert.doesNotMatch(st.code, /^\s*create\s+(package|trigger|procedure|function|view)\b/im,
        `${f}:${st.startLine}: use CREATE OR REPLACE`);
    }
  }
  for (const f of ['pulse_schema.sql', 'order_status_trigger.sql']) {
    assert.match(read(f), /-955\b/, `${f} must ignore ORA-00955`);
  }
});

test('uninstall.sql drops every object the scripts create', () => {
  const created = new Set();
  for (const f of files.filter((x) => x !== 'uninstall.sql')) {
    const re = /create\s+(?:or\s+replace\s+)?(table|package(?!\s+body)|trigger)\s+([a-z0-9_$#]+)/gi;
    for (const m of read(f).replace(/--.*$/gm, '').matchAll(re)) created.add(`${m[1].toLowerCase()} ${m[2].toLowerCase()}`);
  }
  assert.ok(created.size >= 7, [...created].join(', '));
  const uninstall = read('uninstall.sql').toLowerCase();
  for (const obj of created) assert.ok(uninstall.includes(`'drop ${obj}`), `uninstall.sql does not drop ${obj}`);
  for (const code of ['-942', '-4043', '-4080']) assert.ok(uninstall.includes(code), `uninstall.sql should ignore ORA${code}`);
});

test('pulse_schema.sql defines the outbox as the architecture says', () => {
  const ddl = read('pulse_schema.sql').replace(/--.*$/gm, '').replace(/\s+/g, ' ').toLowerCase();
  assert.match(ddl, /create table pulse_outbox \( id number generated always as identity constraint pulse_outbox_pk primary key, app_id varchar2\(64\) not null, channel varchar2\(255\) not null, payload clob not null constraint pulse_outbox_payload_json check \(payload is json\), created_at timestamp default systimestamp not null \)/);
  assert.match(ddl, /create table pulse_outbox_dead \( id number constraint pulse_outbox_dead_pk primary key, app_id varchar2\(64\), channel varchar2\(255\), payload clob, created_at timestamp, failed_at timestamp default systimestamp, reason varchar2\(4000\) \)/);
  assert.match(ddl, /create table pulse_app_secret \( app_id varchar2\(64\) constraint pulse_app_secret_pk primary key, secret varchar2\(512\) not null, gateway_url varchar2\(1000\), api_key varchar2\(512\) \)/);
  // nothing in the kit grants access to the secrets
  for (const f of files) {
    assert.doesNotMatch(read(f).replace(/--.*$/gm, ''), /grant\s+[^;]*\bon\s+pulse_app_secret/i, `${f} grants on pulse_app_secret`);
  }
});

test('pulse_pkg.publish never commits (it is part of the caller\'s transaction)', () => {
  const body = read('pulse_pkg.pkb').replace(/--.*$/gm, '');
  assert.doesNotMatch(body, /\bcommit\b/i);
  assert.doesNotMatch(body, /autonomous_transaction/i);
  assert.match(body, /raise_application_error\(-20001/);
});
