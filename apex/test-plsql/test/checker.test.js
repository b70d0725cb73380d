'use strict';
// The checker itself: it must fail on broken scripts (and say where), strip
// SQL*Plus commands, and split scripts the way SQL*Plus does.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { checkScript, parseSql } = require('../lib/check');
const { splitScript } = require('../lib/sqlplus');

const SQL_DIR = path.resolve(__dirname, '..', '..', 'sql');
const read = (f) => fs.readFileSync(path.join(SQL_DIR, f), 'utf8');

function errorLines(script) {
  return checkScript(script).errors.map((e) => e.line);
}

test('a valid script with SQL*Plus commands passes', () => {
  const script = [
    'set define off',
    "prompt it's the installer; with a quote and a ; and a /",
    'whenever sqlerror exit failure rollback',
    "rem don't mind me",
    '@@pulse_schema.sql',
    'create table t (a number, b varchar2(10));',
    'begin',
    "  dbms_output.put_line('a; b');",
    'end;',
    '/',
    'show errors',
    "exec dbms_output.put_line('x')",
    'spool off',
  ].join('\n');
  const r = checkScript(script);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.statements.map((s) => [s.kind, s.startLine, s.terminatedBy]),
    [['sql', 6, ';'], ['plsql', 7, '/'], ['plsql', 12, 'exec']]);
  assert.deepEqual(r.commands.map((c) => c.line), [1, 2, 3, 4, 5, 11, 12, 13]);
});

const BROKEN = [
  {
    name: 'END LOOP where END IF belongs',
    line: 4,
    script: 'begin\n  if 1 = 1 then\n    null;\n  end loop;\nend;\n/\n',
  },
  {
    name: 'misspelled keyword',
    line: [2, 3], // BEGN reads as a declaration; NULL; is where it breaks
    script: 'create or replace procedure p is\nbegn\n  null;\nend;\n/\n',
  },
  {
    name: 'missing comma in CREATE TABLE',
    line: 3,
    script: 'create table t (\n  a number\n  b number\n);\n',
  },
  {
    name: 'missing semicolon inside a package body',
    line: [4, 5], // noticed at the next token
    script: 'create or replace package body p as\n  procedure x is\n  begin\n    null\n  end x;\nend p;\n/\n',
  },
  {
    name: 'unbalanced parenthesis in an expression',
    line: 2,
    script: 'declare l number;\nbegin l := (1 + 2; end;\n/\n',
  },
  {
    name: 'broken DDL inside an execute immediate literal',
    line: 4,
    script: "begin\n  execute immediate q'[\n    create table t (\n      a number,,\n      b number)]';\nend;\n/\n",
  },
  {
    name: 'SQL text for execute immediate ending with ;',
    line: 1,
    script: "begin execute immediate 'drop table t;'; end;\n/\n",
  },
  {
    name: 'PL/SQL block without the / line',
    line: 1,
    script: 'begin\n  null;\nend;\n',
  },
  {
    name: '/ after a statement already ended by ;',
    line: 2,
    script: 'insert into t values (1);\n/\n',
  },
  {
    name: 'blank line inside a SQL statement',
    line: 3,
    script: 'create table t (\n  a number,\n\n  b number\n);\n',
  },
  {
    name: 'unterminated string literal',
    line: [2, 5],
    script: "begin\n  x := 'abc;\nend;\n/\n",
  },
];

for (const c of BROKEN) {
  test(`fails on a broken script: ${c.name}`, () => {
    const lines = errorLines(c.script);
    const [from, to] = Array.isArray(c.line) ? c.line : [c.line, c.line];
    assert.ok(lines.length > 0, `no error reported for:\n${c.script}`);
    assert.ok(lines.some((l) => l >= from && l <= to),
      `expected an error on line ${from === to ? from : `${from}-${to}`}, got lines ${lines.join(', ')}`);
  });
}

test('fails on a deliberately broken copy of auth_pkg.pkb, at the broken line', () => {
  const lines = read('auth_pkg.pkb').split('\n');
  const at = lines.findIndex((l) => l.trim() === 'end loop;' );
  assert.ok(at > 0, 'auth_pkg.pkb should have an "end loop;" line');
  lines[at] = lines[at].replace('end loop;', 'end;'); // END LOOP -> END
  const r = checkScript(lines.join('\n'));
  assert.ok(r.errors.length > 0, 'the broken package body parsed');
  assert.ok(r.errors.some((e) => Math.abs(e.line - (at + 1)) <= 3),
    `expected an error near line ${at + 1}, got ${r.errors.map((e) => e.line).join(', ')}`);
});

test('fails on a deliberately broken copy of pulse_schema.sql (DDL inside the literal)', () => {
  const text = read('pulse_schema.sql').replace('channel     varchar2(255) not null,', 'channel     varchar2(255) not null');
  const r = checkScript(text);
  assert.ok(r.errors.length > 0, 'the broken DDL parsed');
  const want = text.split('\n').findIndex((l) => l.includes('payload     clob          not null')) + 1;
  assert.ok(r.errors.some((e) => e.line === want), `expected an error on line ${want}, got ${r.errors.map((e) => `${e.line}: ${e.message}`).join('; ')}`);
});

test('fails when a .pkb loses its END', () => {
  const text = read('pulse_pkg.pkb').replace(/end pulse_pkg;\s*\n\//, '/');
  assert.ok(checkScript(text).errors.length > 0);
});

test('separators inside literals and comments end nothing', () => {
  const script = [
    'begin',
    "  l := q'[",
    '/',
    "]';",
    '  /* a comment',
    '/',
    '  */',
    "  m := 'it''s;';",
    'end;',
    '/',
    'comment on table t is',
    "  'a /",
    "  ; b';",
  ].join('\n');
  const { statements, problems } = splitScript(script);
  assert.deepEqual(problems, []);
  assert.deepEqual(statements.map((s) => [s.kind, s.startLine, s.endLine]), [['plsql', 1, 10], ['sql', 11, 13]]);
  assert.equal(statements[0].literals[0].value, '\n/\n');
  assert.equal(statements[0].literals[1].value, "it's;");
});

test('SQL*Plus command words are statements only at a statement start', () => {
  const script = 'select 1\n  from dual\n  where 1 = 1\n;\nset transaction read only;\nset serveroutput on\n';
  const { statements, commands } = splitScript(script);
  assert.deepEqual(statements.map((s) => s.startLine), [1, 5]);
  assert.deepEqual(commands.map((c) => c.text), ['set serveroutput on']);
});

test('error positions are the file\'s lines and columns', () => {
  const errs = parseSql('select 1 from dual;\nselect from from;\n');
  assert.ok(errs.length > 0);
  assert.equal(errs[0].line, 2);
  const r = checkScript('-- header\n\nbegin\n  x := ;\nend;\n/\n');
  assert.equal(r.errors[0].line, 4);
  assert.equal(r.errors[0].source, 'x := ;');
});
