'use strict';
// No call of auth_pkg.generate_token may match both overloads (PLS-00307 at compile time of the
// caller). It used to: seven positional arguments fitted the stored-secret overload (…, p_name,
// p_trig_ch) and the explicit-secret one (…, p_name, p_secret).

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { declarations, ambiguousCalls } = require('../lib/overloads');

const SQL_DIR = path.resolve(__dirname, '..', '..', 'sql');
const read = (f) => fs.readFileSync(path.join(SQL_DIR, f), 'utf8');

test('the checker finds the old ambiguity (seven positional arguments)', () => {
  const old = `
    function generate_token(p_app_id in varchar2, p_user in varchar2, p_sub_ch in varchar2 default null,
      p_pub_ch in varchar2 default null, p_ttl_seconds in pls_integer default 3600, p_name in varchar2 default null,
      p_trig_ch in varchar2 default null) return varchar2;
    function generate_token(p_app_id in varchar2, p_user in varchar2, p_sub_ch in varchar2 default null,
      p_pub_ch in varchar2 default null, p_ttl_seconds in pls_integer default 3600, p_name in varchar2 default null,
      p_secret in varchar2, p_iat in number default null, p_trig_ch in varchar2 default null) return varchar2;`;
  const shapes = ambiguousCalls(declarations(old, 'generate_token'));
  assert.ok(shapes.some((s) => s.positional === 7 && s.named.length === 0), JSON.stringify(shapes.slice(0, 3)));
});

test('auth_pkg.generate_token: no call matches both overloads, in the spec and in the body', () => {
  for (const f of ['auth_pkg.pks', 'auth_pkg.pkb']) {
    const overloads = declarations(read(f), 'generate_token');
    assert.equal(overloads.length, 2, `${f}: two generate_token overloads`);
    assert.deepEqual(ambiguousCalls(overloads), [], `${f}: ambiguous calls`);
  }
  // the body declares exactly what the spec declares (in any order)
  const sorted = (f) => declarations(read(f), 'generate_token').map((o) => JSON.stringify(o)).sort();
  assert.deepEqual(sorted('auth_pkg.pkb'), sorted('auth_pkg.pks'));
});

test('the calls the kit documents resolve to the intended overload', () => {
  const [stored, explicit] = declarations(read('auth_pkg.pks'), 'generate_token');
  const { applicable } = require('../lib/overloads');
  assert.ok(!stored.some((p) => p.name === 'p_secret') && explicit.some((p) => p.name === 'p_secret'));
  // all seven leading parameters by position: the stored-secret overload only
  assert.ok(applicable(stored, 7, []) && !applicable(explicit, 7, []));
  // the known-answer vector's call (by name, with p_secret): the explicit one only
  const vectorNames = ['p_app_id', 'p_user', 'p_sub_ch', 'p_pub_ch', 'p_ttl_seconds', 'p_name', 'p_secret', 'p_iat', 'p_trig_ch'];
  assert.ok(applicable(explicit, 0, vectorNames) && !applicable(stored, 0, vectorNames));
});

test('pulse_pkg: no ambiguous overloads either', () => {
  for (const f of ['pulse_pkg.pks', 'pulse_pkg.pkb']) {
    const source = read(f);
    const names = new Set([...source.replace(/--.*$/gm, '').matchAll(/\b(?:function|procedure)\s+([a-z0-9_]+)\s*\(/gi)].map((m) => m[1].toLowerCase()));
    for (const name of names) {
      const overloads = declarations(source, name);
      if (overloads.length < 2) continue;
      // publish(clob) and publish(json_object_t) differ by type only: by name and position they
      // are the same shape, which PL/SQL resolves by the argument's type
      const shapes = ambiguousCalls(overloads);
      if (name === 'publish') continue;
      assert.deepEqual(shapes, [], `${f}: ${name}`);
    }
  }
});
