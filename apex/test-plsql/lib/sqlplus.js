'use strict';
// Splits a SQL*Plus / SQLcl script into the statements the database would see,
// the way SQL*Plus does it, so that each can be handed to the PL/SQL grammar:
//
//  - SQL*Plus commands (@, @@, set, prompt, whenever, show errors, spool, ...)
//    are recognised only where a new statement could start, and are stripped
//    (recorded in `commands`). `exec[ute] x` becomes `begin x; end;`.
//  - A line holding only `/` ends the statement in the buffer.
//  - A SQL statement (create table, comment, grant, insert, ...) ends at a
//    line whose code ends with `;`.
//  - A PL/SQL unit (declare/begin blocks, create [or replace] package,
//    package body, procedure, function, trigger, type, ...) ends only at `/`.
//  - Comments (--, /* */), '...' and q'[...]' literals and "identifiers" are
//    lexed across lines, so a `;` or `/` inside them ends nothing.
//
// It also reports the SQL*Plus mistakes that the grammar cannot see:
//  - a PL/SQL unit not followed by `/` (SQL*Plus never runs it),
//  - a `/` right after a statement already run by its `;` (runs it twice),
//  - a blank line inside a SQL statement (SQL*Plus drops the statement:
//    SQLBLANKLINES is off by default),
//  - an unterminated literal or comment.

const SQLPLUS_COMMANDS = [
  /^@@?\S/,
  /^(acc|accept|appi|appinfo|arraysize|attr|attribute|bre|break|bti|btitle|cl|clear|col|column|comp|compute|conn|connect|copy|def|define|del|desc|describe|disc|disconnect|exit|get|help|ho|host|i|input|pau|pause|pri|print|pro|prompt|quit|rem|remark|repf|repfooter|reph|repheader|sav|save|sho|show|spo|spool|sta|start|store|timi|timing|tti|ttitle|undef|undefine|var|variable|whenever|xquery)(\s|$)/i,
  // SET is SQL*Plus unless it is SQL's SET TRANSACTION / ROLE / CONSTRAINT(S)
  /^set\s+(?!(transaction|role|constraints?)\b)\S/i,
];

const PLSQL_START = /^(declare|begin|<<)/i;
const PLSQL_CREATE =
  /^create\s+(or\s+replace\s+)?((editionable|noneditionable|editioning)\s+)?(package|procedure|function|trigger|type|library|java|and\s+(resolve|compile))\b/i;

function isSqlplusCommand(trimmed) {
  return SQLPLUS_COMMANDS.some((re) => re.test(trimmed));
}

function classify(code) {
  const c = code.replace(/\s+/g, ' ').trim();
  if (PLSQL_START.test(c) || PLSQL_CREATE.test(c)) return 'plsql';
  return 'sql';
}

const CLOSERS = { '[': ']', '{': '}', '(': ')', '<': '>' };
const IDENT_CHAR = /[A-Za-z0-9_$#]/;

// Lexes one line, continuing from `state` (null = in code). Returns the line
// with comments blanked and literal contents replaced by 'x' (`masked`), the
// literals that ended on or ran through this line, and the state at its end.
function lexLine(line, lineNo, state, literals) {
  let masked = '';
  let i = 0;
  let st = state;
  const n = line.length;
  while (i < n) {
    if (st) {
      if (st.mode === 'block') {
        const end = line.indexOf('*/', i);
        if (end < 0) { masked += ' '.repeat(n - i); i = n; break; }
        masked += ' '.repeat(end + 2 - i); i = end + 2; st = null; continue;
      }
      if (st.mode === 'ident') {
        const end = line.indexOf('"', i);
        if (end < 0) { masked += 'x'.repeat(n - i); i = n; break; }
        masked += 'x'.repeat(end - i) + '"'; i = end + 1; st = null; continue;
      }
      if (st.mode === 'q') {
        const end = line.indexOf(st.close + "'", i);
        if (end < 0) { st.value += line.slice(i); masked += 'x'.repeat(n - i); i = n; break; }
        st.value += line.slice(i, end);
        masked += 'x'.repeat(end - i) + st.close + "'";
        literals.push({ line: st.line, col: st.col, value: st.value, quoted: 'q' });
        i = end + 2; st = null; continue;
      }
      if (st.mode === 'str') {
        let j = i;
        let closed = false;
        while (j < n) {
          if (line[j] === "'") {
            if (line[j + 1] === "'") { st.value += "'"; j += 2; continue; }
            closed = true; break;
          }
          st.value += line[j]; j++;
        }
        masked += 'x'.repeat(j - i);
        if (!closed) { i = n; break; }
        masked += "'";
        literals.push({ line: st.line, col: st.col, value: st.value, quoted: "'" });
        i = j + 1; st = null; continue;
      }
    }
    const c = line[i];
    const d = line[i + 1];
    const prev = i > 0 ? line[i - 1] : '';
    if (c === '-' && d === '-') { masked += ' '.repeat(n - i); i = n; break; }
    if (c === '/' && d === '*') { masked += '  '; i += 2; st = { mode: 'block' }; continue; }
    if ((c === 'q' || c === 'Q') && d === "'" && i + 2 < n && !IDENT_CHAR.test(prev === 'n' || prev === 'N' ? (line[i - 2] || '') : prev)) {
      const open = line[i + 2];
      masked += "q'" + open;
      st = { mode: 'q', close: CLOSERS[open] || open, value: '', line: lineNo, col: i + 3 };
      i += 3; continue;
    }
    if (c === "'") { masked += "'"; st = { mode: 'str', value: '', line: lineNo, col: i + 1 }; i += 1; continue; }
    if (c === '"') { masked += '"'; st = { mode: 'ident' }; i += 1; continue; }
    masked += c; i += 1;
  }
  // a literal still open at the end of the line goes on with the line break
  if (st && (st.mode === 'q' || st.mode === 'str')) st.value += '\n';
  return { masked, state: st };
}

/**
 * @param {string} text  script text
 * @returns {{statements: Array, commands: Array, problems: Array}}
 *   statements: {startLine, endLine, kind: 'sql'|'plsql', text, code, literals, terminatedBy}
 *     text keeps the statement's lines whole (line/column numbers stay valid
 *     when it is padded with startLine-1 newlines).
 *   commands:   {line, text} stripped SQL*Plus command lines
 *   problems:   {line, message}
 */
function splitScript(text) {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const statements = [];
  const commands = [];
  const problems = [];
  let state = null;
  let cur = null; // {startLine, lines: [], code: '', literals: [], kind}
  let last = null; // the statement that ended last, and how

  const finish = (endLine, terminatedBy) => {
    const kind = classify(cur.code);
    const stmt = {
      startLine: cur.startLine,
      endLine,
      kind,
      text: cur.lines.join('\n'),
      code: cur.code, // text with comments blanked and literal contents masked
      literals: cur.literals,
      terminatedBy,
    };
    if (kind === 'sql') {
      // a blank line after the first code line ends the SQL*Plus buffer
      for (let k = cur.firstCode + 1; k < cur.lines.length; k++) {
        if (cur.lines[k].trim() === '' && !cur.inLiteralAt.has(k)) {
          problems.push({ line: cur.startLine + k, message: 'blank line inside a SQL statement: SQL*Plus (SQLBLANKLINES OFF) would drop the statement here' });
          break;
        }
      }
    }
    statements.push(stmt);
    last = stmt;
    cur = null;
  };

  for (let idx = 0; idx < lines.length; idx++) {
    const lineNo = idx + 1;
    const line = lines[idx];
    const trimmed = line.trim();
    const atStatementStart = state === null && (cur === null || cur.code.trim() === '');

    if (state === null && trimmed === '/') {
      if (cur && cur.code.trim() !== '') {
        finish(lineNo, '/');
      } else {
        if (last && last.terminatedBy === ';' && last.endLine < lineNo) {
          problems.push({ line: lineNo, message: `'/' after a statement already ended by ';' (line ${last.endLine}) runs it a second time` });
        } else if (!last || last.terminatedBy === '/') {
          problems.push({ line: lineNo, message: "'/' with no statement in the buffer re-runs the previous one" });
        }
        cur = null;
        if (last) last = { ...last, terminatedBy: '/' };
      }
      continue;
    }

    if (atStatementStart && trimmed !== '' && isSqlplusCommand(trimmed)) {
      commands.push({ line: lineNo, text: trimmed });
      continue;
    }

    if (atStatementStart && /^exec(ute)?\s+/i.test(trimmed) && !/^execute\s+immediate\b/i.test(trimmed)) {
      // SQL*Plus EXECUTE x  ==  BEGIN x END;
      let body = trimmed.replace(/^exec(ute)?\s+/i, '');
      if (!/;\s*$/.test(body)) body += ';';
      const pad = ' '.repeat(Math.max(0, line.length - line.trimStart().length));
      statements.push({
        startLine: lineNo, endLine: lineNo, kind: 'plsql',
        text: `${pad}begin ${body} end;`, code: `${pad}begin ${body} end;`, literals: [], terminatedBy: 'exec',
      });
      last = statements[statements.length - 1];
      commands.push({ line: lineNo, text: trimmed });
      continue;
    }

    if (cur === null) {
      if (trimmed === '') continue; // blank lines between statements
      cur = { startLine: lineNo, lines: [], code: '', literals: [], inLiteralAt: new Set(), firstCode: -1 };
    }
    if (state !== null) cur.inLiteralAt.add(cur.lines.length);
    cur.lines.push(line);
    const lexed = lexLine(line, lineNo, state, cur.literals);
    state = lexed.state;
    cur.code += lexed.masked + '\n';
    if (cur.firstCode < 0 && lexed.masked.trim() !== '') cur.firstCode = cur.lines.length - 1;

    if (state === null && cur.code.trim() !== '' && /;\s*$/.test(lexed.masked) && classify(cur.code) === 'sql') {
      finish(lineNo, ';');
    }
  }

  if (state !== null) {
    problems.push({ line: lines.length, message: `unterminated ${state.mode === 'block' ? 'comment' : state.mode === 'ident' ? 'quoted identifier' : 'string literal'} (opened on line ${state.line || '?'})` });
  }
  if (cur && cur.code.trim() !== '') {
    const kind = classify(cur.code);
    problems.push({
      line: cur.startLine,
      message: kind === 'plsql'
        ? "PL/SQL unit not followed by a line with '/': SQL*Plus would never run it"
        : "statement not terminated by ';' or '/'",
    });
    finish(lines.length, 'eof');
  } else if (cur) {
    // only comments after the last statement: nothing to run
    cur = null;
  }
  return { statements, commands, problems };
}

module.exports = { splitScript, isSqlplusCommand, classify, lexLine };
