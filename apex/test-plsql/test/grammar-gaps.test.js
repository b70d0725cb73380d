'use strict';
// Valid Oracle syntax that the grammar of antlr4ts-sql 1.1.0 does not know.
// Each gap listed in lib/check.js is rewritten for the parse only; these tests
// show that the gap is real (so the rewrite is needed) and that the rewrite
// still lets real errors through.

const test = require('node:test');
const assert = require('node:assert/strict');
const { parseSql, applyGrammarGaps } = require('../lib/check');

test('gap: IS JSON is rejected by the bare grammar', () => {
  assert.ok(parseSql('create table t (a clob check (a is json));', { gaps: false }).length > 0);
  assert.ok(parseSql('select 1 from t where a is not json;', { gaps: false }).length > 0);
});

test('gap: IS JSON parses with the rewrite', () => {
  assert.deepEqual(parseSql('create table t (a clob constraint c check (a is json));'), []);
  assert.deepEqual(parseSql('select 1 from t where a is not json strict;'), []);
  assert.equal(applyGrammarGaps('x IS JSON and y is not json lax'), 'x is not null and y is null');
});

test('gap rewrite does not hide errors around IS JSON', () => {
  assert.ok(parseSql('create table t (a clob check (a is json);').length > 0);
  assert.ok(parseSql('create table t (a clob check (is json));').length > 0);
});

test('known gap without rewrite: PRAGMA EXCEPTION_INIT at package-body level', () => {
  // Valid Oracle, rejected by this grammar: the kit declares such exceptions
  // inside the procedure that uses them instead (as pulse_pkg.publish does).
  const body = 'create or replace package body p as\n  e exception;\n  pragma exception_init(e, -2290);\nend p;';
  assert.ok(parseSql(body).length > 0);
  const local = 'create or replace package body p as\n  procedure x is\n    e exception;\n    pragma exception_init(e, -2290);\n  begin\n    null;\n  end x;\nend p;';
  assert.deepEqual(parseSql(local), []);
});

test('gap: JSON_OBJECT key-value arguments are rejected by the bare grammar, parse with the rewrite', () => {
  const sql = "select json_object('orders' value count(*), key 'at' value sysdate) from orders where status = :P1_STATUS;";
  assert.ok(parseSql(sql, { gaps: false }).length > 0);
  assert.deepEqual(parseSql(sql), []);
  assert.equal(applyGrammarGaps("json_object('a''s value' value x, key 'b' value f(y))"), "json_object('a''s value' || x, 'b' || f(y))");
  // errors around it still show
  assert.ok(parseSql("select json_object('orders' value count(*) from orders;").length > 0);
  assert.ok(parseSql("select json_object('orders' value count(*)) orders where;").length > 0);
});
