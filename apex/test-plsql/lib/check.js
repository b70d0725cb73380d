'use strict';
// Syntax check of SQL*Plus scripts with the Oracle PL/SQL grammar shipped by
// the npm package antlr4ts-sql (grammars-v4 PlSqlParser, SQLDialect.PLSQL).
// Syntax only: it cannot know whether a table, column or package exists.

const fs = require('node:fs');
const path = require('node:path');
const { antlr4tsSQL, SQLDialect } = require('antlr4ts-sql');
const { splitScript, classify } = require('./sqlplus');

const plsql = new antlr4tsSQL(SQLDialect.PLSQL);

// Valid Oracle syntax that this grammar version rejects. Each entry rewrites
// the construct into one of the same shape that the grammar knows, only for
// the parse; test/grammar-gaps.test.js proves that each gap still exists and
// that the rewrite does not hide real errors.
const GRAMMAR_GAPS = [
  {
    // json_object('k' value v, key 'k2' value v2): made a call with concatenations, same shape
    name: 'JSON_OBJECT key-value arguments (Oracle 12.2+)',
    pattern: /\bjson_object\s*\(((?:[^()']|'(?:[^']|'')*'|\((?:[^()']|'(?:[^']|'')*')*\))*)\)/gi,
    replace: (m, inner) => `json_object(${inner.replace(/('(?:[^']|'')*')|\bkey\s+|\bvalue\b/gi, (t, lit) => (lit || (/^key/i.test(t) ? '' : '||')))})`,
  },
  {
    name: 'IS [NOT] JSON condition (Oracle 12.1.0.2+)',
    pattern: /\bis\s+(not\s+)?json\b(\s+(strict|lax)\b)?/gi,
    replace: (m, not) => (not ? 'is null' : 'is not null'),
  },
];

function applyGrammarGaps(sql) {
  let out = sql;
  for (const gap of GRAMMAR_GAPS) out = out.replace(gap.pattern, gap.replace);
  return out;
}

function shorten(msg) {
  return msg.length > 160 ? `${msg.slice(0, 157)}...` : msg;
}

/**
 * Parses `sql` (one or more statements) and returns the syntax errors as
 * {line, col, message}. `startLine` / `startCol` place the text in its file so
 * that reported positions are the file's.
 */
function parseSql(sql, { startLine = 1, startCol = 0, gaps = true } = {}) {
  const text = '\n'.repeat(startLine - 1) + ' '.repeat(startCol) + (gaps ? applyGrammarGaps(sql) : sql);
  const errors = [];
  const listener = {
    syntaxError(recognizer, offending, line, col, msg) {
      let near = '';
      if (offending && typeof offending.startIndex === 'number' && offending.startIndex >= 0) {
        near = offending.type === -1 ? '<end of input>' : text.slice(offending.startIndex, offending.stopIndex + 1);
      }
      errors.push({ line, col, near, message: shorten(msg.replace(/'<\d+>'|''/, near ? `'${near}'` : '$&')) });
    },
  };
  const parser = plsql.getParser(plsql.getTokens(text, [listener]), [listener]);
  parser.sql_script();
  return errors;
}

/**
 * Checks a whole script: splits it like SQL*Plus (see sqlplus.js), parses each
 * statement, and also parses the SQL or PL/SQL held in string literals (the
 * DDL passed to execute immediate, for instance; `embedded: false` skips that for APEX
 * exports, whose literals are text such as 'SELECT LIST' or one line of PL/SQL each). Returns
 * {statements, commands, errors: [{line, col, message, source}]}.
 */
const EMBEDDED = /^\s*(create|alter|drop|comment\s+on|grant|revoke|begin|declare|insert\s+into|update|delete\s+from|merge\s+into|select)\s/i;

function checkScript(text, { embedded: parseEmbedded = true } = {}) {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const { statements, commands, problems } = splitScript(text);
  const errors = problems.map((p) => ({ line: p.line, col: 0, message: p.message }));
  let embedded = 0;
  for (const st of statements) {
    for (const e of parseSql(st.text, { startLine: st.startLine })) errors.push(e);
    for (const lit of st.literals) {
      if (!parseEmbedded || !EMBEDDED.test(lit.value)) continue;
      embedded += 1;
      // execute immediate takes a SQL statement without its ';' (ORA-00911
      // otherwise) or a whole PL/SQL block with its final ';'
      let sql = lit.value;
      if (classify(sql) === 'sql') {
        if (/;\s*$/.test(sql)) {
          errors.push({ line: lit.line, col: lit.col, message: "SQL text in a string literal ends with ';': execute immediate fails with ORA-00911" });
        } else {
          sql += ';';
        }
      }
      for (const e of parseSql(sql, { startLine: lit.line, startCol: lit.col })) {
        errors.push({ ...e, message: `in the SQL held by the string literal at line ${lit.line}: ${e.message}` });
      }
    }
  }
  for (const e of errors) e.source = (lines[e.line - 1] || '').trim();
  errors.sort((a, b) => a.line - b.line || a.col - b.col);
  return { statements, commands, embedded, errors };
}

function checkFile(file) {
  return checkScript(fs.readFileSync(file, 'utf8'));
}

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

function formatErrors(file, errors) {
  const abs = path.resolve(file);
  const rel = abs.startsWith(REPO_ROOT + path.sep) ? path.relative(REPO_ROOT, abs) : abs;
  return errors
    .map((e) => `${rel}:${e.line}:${e.col + 1}: ${e.message}${e.source ? `\n    ${e.source}` : ''}`)
    .join('\n');
}

module.exports = { parseSql, checkScript, checkFile, formatErrors, applyGrammarGaps, GRAMMAR_GAPS };
