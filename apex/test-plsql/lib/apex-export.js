'use strict';
// Reads an APEX export file (apex/plugins/*.sql) back into data: every wwv_flow_imp* call with
// its named parameters (values decoded: string literals, wwv_flow_string.join(...), numbers,
// booleans, wwv_flow_imp.id(n)), the plug-in files rebuilt from their wwv_flow_imp.g_varchar2_table
// hex, and the members of wwv_flow_imp* the file touches. What the tests know of an export comes
// from here, never from apex/plugins/src: they check the file APEX imports.

const API = /\bwwv_flow_imp(?:_shared|_page)?\.[a-z0-9_]+/gi;

/** Index just after the literal starting at `i` (a quote), honouring doubled quotes. */
function skipLiteral(text, i) {
  let j = i + 1;
  for (;;) {
    const k = text.indexOf("'", j);
    if (k < 0) throw new Error(`unterminated literal at ${i}`);
    if (text[k + 1] === "'") { j = k + 2; continue; }
    return k + 1;
  }
}

/** The argument text of the call whose '(' is at `open`, and the index after its ')'. */
function argumentsAt(text, open) {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === "'") { i = skipLiteral(text, i) - 1; continue; }
    if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return { args: text.slice(open + 1, i), end: i + 1 };
  }
  throw new Error(`unbalanced call at ${open}`);
}

/** Splits on commas outside literals and parentheses. */
function splitTop(s) {
  const out = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "'") { i = skipLiteral(s, i) - 1; continue; }
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) { out.push(s.slice(start, i)); start = i + 1; }
  }
  if (s.slice(start).trim() !== '') out.push(s.slice(start));
  return out;
}

/** Decodes a parameter value; `{raw}` for an expression it does not evaluate. */
function value(raw) {
  const v = raw.trim();
  if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  if (v === 'true' || v === 'false') return v === 'true';
  let m = /^wwv_flow_imp\.id\((\d+)\)$/.exec(v);
  if (m) return { id: m[1] };
  m = /^wwv_flow_string\.join\(wwv_flow_t_varchar2\(([\s\S]*)\)\)$/.exec(v);
  if (m) return splitTop(m[1]).map((line) => value(line)).join('\n');
  if (v.startsWith("'")) {
    // 'a' || 'b' || ...
    let out = '';
    let i = 0;
    while (i < v.length) {
      if (v[i] !== "'") return { raw: v };
      const end = skipLiteral(v, i);
      out += v.slice(i + 1, end - 1).replace(/''/g, "'");
      const rest = /^\s*(\|\|\s*)?/.exec(v.slice(end));
      i = end + rest[0].length;
      if (!rest[1] && i < v.length) return { raw: v };
    }
    return out;
  }
  return { raw: v };
}

/**
 * @returns {{calls: Array<{name, params: Object, positional: string[], line}>, members: Set<string>,
 *            files: Object<string, Buffer>}}
 */
function parseExport(text) {
  const calls = [];
  const members = new Set();
  const lineAt = (i) => text.slice(0, i).split('\n').length;
  let table = null; // the g_varchar2_table being filled
  const files = {};
  // Literals cannot hold API names we care about, but they do hold text (help, PL/SQL code):
  // skip them while scanning.
  for (let i = 0; i < text.length;) {
    if (text.startsWith('--', i)) { const nl = text.indexOf('\n', i); i = nl < 0 ? text.length : nl + 1; continue; }
    if (text[i] === "'") { i = skipLiteral(text, i); continue; }
    API.lastIndex = i;
    const m = API.exec(text);
    if (!m || m.index !== i) { i++; continue; }
    const name = m[0].toLowerCase();
    members.add(name);
    let j = i + m[0].length;
    const after = text.slice(j).match(/^\s*(\(|:=)/);
    if (name === 'wwv_flow_imp.g_varchar2_table') {
      const idx = /^\((\d+)\)\s*:=\s*'([0-9A-F]*)'/.exec(text.slice(j));
      if (idx) { table.push(Buffer.from(idx[2], 'hex')); j += idx[0].length; }
      else if (/^\s*:=\s*wwv_flow_imp\.empty_varchar2_table/.test(text.slice(j))) table = [];
      i = j;
      continue;
    }
    if (after && after[1] === '(') {
      const open = j + after[0].length - 1;
      const { args, end } = argumentsAt(text, open);
      const params = {};
      const positional = [];
      for (const a of splitTop(args)) {
        const pm = /^\s*([a-z0-9_]+)\s*=>\s*([\s\S]*)$/i.exec(a);
        if (pm) params[pm[1].toLowerCase()] = value(pm[2]);
        else positional.push(a.trim());
      }
      calls.push({ name, params, positional, line: lineAt(i) });
      if (name === 'wwv_flow_imp_shared.create_plugin_file') files[params.p_file_name] = Buffer.concat(table || []);
      // nested calls (wwv_flow_imp.id inside a value) are scanned as well
      i = open + 1;
      continue;
    }
    i = j;
  }
  return { calls, members, files };
}

/** The one call of that name (throws when there are none or several). */
function single(parsed, name) {
  const found = parsed.calls.filter((c) => c.name === name);
  if (found.length !== 1) throw new Error(`${found.length} calls of ${name}`);
  return found[0];
}

module.exports = { parseExport, single, value, splitTop };
