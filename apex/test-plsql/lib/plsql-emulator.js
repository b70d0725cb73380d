'use strict';
// Runs the render and AJAX functions of the apex-pulse plug-ins (p_plsql_code of an export) the
// way APEX would, for the browser tests: an interpreter for the small, straight PL/SQL subset these
// functions are written in, with the APEX API calls they make emulated as APEX documents them.
// Anything outside the subset (a loop, a cursor, an unknown call) throws "unsupported": the plug-in
// code cannot grow past what the tests can run without the tests noticing.
//
// Subset: declarations `l_x type [:= expr];`; statements `x := expr;`, `x.y := expr;`,
// `call(args);`, `if … then … [elsif …] [else …] end if;`, `return expr;`; expressions:
// literals, null, numbers, `||`, `a = b`, `a <> b`, `is [not] null`, `and`, `or`, `not`, calls with
// positional or named arguments, the attributes of p_dynamic_action / p_region / p_plugin / p_process.

const KEYWORDS = new Set(['is', 'null', 'not', 'and', 'or', 'if', 'then', 'elsif', 'else', 'end', 'return', 'begin',
  'true', 'false']);

function tokenize(src) {
  const tokens = [];
  const re = /\s+|--[^\n]*|'(?:[^']|'')*'|\d+(?:\.\d+)?|[A-Za-z][A-Za-z0-9_$#]*(?:\.[A-Za-z][A-Za-z0-9_$#]*)*|:=|=>|\|\||<>|!=|[(),;=]/y;
  let m;
  let i = 0;
  while (i < src.length) {
    re.lastIndex = i;
    m = re.exec(src);
    if (!m) throw new Error(`unsupported PL/SQL near: ${src.slice(i, i + 40)}`);
    i = re.lastIndex;
    const t = m[0];
    if (/^\s/.test(t) || t.startsWith('--')) continue;
    if (t.startsWith("'")) tokens.push({ k: 'str', v: t.slice(1, -1).replace(/''/g, "'") });
    else if (/^\d/.test(t)) tokens.push({ k: 'num', v: Number(t) });
    else if (/^[A-Za-z]/.test(t)) {
      const low = t.toLowerCase();
      tokens.push(KEYWORDS.has(low) ? { k: 'kw', v: low } : { k: 'id', v: low });
    } else tokens.push({ k: 'op', v: t });
  }
  return tokens;
}

class Parser {
  constructor(tokens) { this.t = tokens; this.i = 0; }
  peek(o = 0) { return this.t[this.i + o]; }
  is(k, v) { const t = this.peek(); return t && t.k === k && (v === undefined || t.v === v); }
  take(k, v) {
    const t = this.peek();
    if (!t || t.k !== k || (v !== undefined && t.v !== v)) {
      throw new Error(`unsupported PL/SQL: expected ${v || k}, got ${t ? t.v : 'the end'}`);
    }
    this.i++;
    return t;
  }

  /** function <name> ( … ) return <type> is <decls> begin <stmts> end <name>; */
  fn() {
    this.take('id');
    const name = this.take('id').v;
    let depth = 0;
    do {
      const t = this.take(this.peek().k);
      if (t.v === '(') depth++;
      if (t.v === ')') depth--;
    } while (depth > 0);
    this.take('kw', 'return');
    this.take('id');
    this.take('kw', 'is');
    const decls = [];
    while (!this.is('kw', 'begin')) {
      const v = this.take('id').v;
      // the type: an identifier, optionally with a size
      this.take('id');
      if (this.is('op', '(')) { this.take('op', '('); this.take('num'); this.take('op', ')'); }
      let init = null;
      if (this.is('op', ':=')) { this.take('op', ':='); init = this.expr(); }
      this.take('op', ';');
      decls.push({ v, init });
    }
    this.take('kw', 'begin');
    const body = this.block(['end']);
    this.take('kw', 'end');
    if (this.take('id').v !== name) throw new Error(`unsupported PL/SQL: end of ${name}`);
    this.take('op', ';');
    return { name, decls, body };
  }

  block(stops) {
    const out = [];
    while (!stops.some((s) => this.is('kw', s))) out.push(this.stmt());
    return out;
  }

  stmt() {
    if (this.is('kw', 'return')) {
      this.take('kw', 'return');
      const e = this.expr();
      this.take('op', ';');
      return { s: 'return', e };
    }
    if (this.is('kw', 'if')) {
      const branches = [];
      let other = [];
      this.take('kw', 'if');
      let cond = this.expr();
      for (;;) {
        this.take('kw', 'then');
        const body = this.block(['elsif', 'else', 'end']);
        branches.push({ cond, body });
        if (this.is('kw', 'elsif')) { this.take('kw', 'elsif'); cond = this.expr(); continue; }
        if (this.is('kw', 'else')) { this.take('kw', 'else'); other = this.block(['end']); }
        break;
      }
      this.take('kw', 'end');
      this.take('kw', 'if');
      this.take('op', ';');
      return { s: 'if', branches, other };
    }
    const target = this.take('id').v;
    if (this.is('op', ':=')) {
      this.take('op', ':=');
      const e = this.expr();
      this.take('op', ';');
      return { s: 'assign', target, e };
    }
    const args = this.is('op', '(') ? this.args() : [];
    this.take('op', ';');
    return { s: 'call', e: { e: 'call', name: target, args } };
  }

  args() {
    this.take('op', '(');
    const out = [];
    if (!this.is('op', ')')) {
      for (;;) {
        let name = null;
        if (this.is('id') && this.peek(1) && this.peek(1).v === '=>') { name = this.take('id').v; this.take('op', '=>'); }
        out.push({ name, e: this.expr() });
        if (this.is('op', ',')) { this.take('op', ','); continue; }
        break;
      }
    }
    this.take('op', ')');
    return out;
  }

  expr() {
    let l = this.and();
    while (this.is('kw', 'or')) { this.take('kw', 'or'); l = { e: 'or', l, r: this.and() }; }
    return l;
  }

  and() {
    let l = this.not();
    while (this.is('kw', 'and')) { this.take('kw', 'and'); l = { e: 'and', l, r: this.not() }; }
    return l;
  }

  not() {
    if (this.is('kw', 'not')) { this.take('kw', 'not'); return { e: 'not', x: this.not() }; }
    return this.cmp();
  }

  cmp() {
    const l = this.concat();
    if (this.is('kw', 'is')) {
      this.take('kw', 'is');
      const negate = this.is('kw', 'not');
      if (negate) this.take('kw', 'not');
      this.take('kw', 'null');
      return { e: negate ? 'notnull' : 'isnull', x: l };
    }
    if (this.is('op', '=') || this.is('op', '<>') || this.is('op', '!=')) {
      const op = this.take('op').v;
      return { e: op === '=' ? 'eq' : 'ne', l, r: this.concat() };
    }
    return l;
  }

  concat() {
    const parts = [this.atom()];
    while (this.is('op', '||')) { this.take('op', '||'); parts.push(this.atom()); }
    return parts.length === 1 ? parts[0] : { e: 'concat', parts };
  }

  atom() {
    const t = this.peek();
    if (!t) throw new Error('unsupported PL/SQL: unexpected end');
    if (t.k === 'str') { this.i++; return { e: 'lit', v: t.v === '' ? null : t.v }; }
    if (t.k === 'num') { this.i++; return { e: 'lit', v: t.v }; }
    if (t.k === 'kw' && (t.v === 'null' || t.v === 'true' || t.v === 'false')) {
      this.i++;
      return { e: 'lit', v: t.v === 'null' ? null : t.v === 'true' };
    }
    if (t.k === 'op' && t.v === '(') { this.i++; const e = this.expr(); this.take('op', ')'); return e; }
    if (t.k === 'id') {
      this.i++;
      if (this.is('op', '(')) return { e: 'call', name: t.v, args: this.args() };
      return { e: 'name', name: t.v };
    }
    throw new Error(`unsupported PL/SQL: ${t.v}`);
  }
}

/** The functions of a plug-in's PL/SQL code, by name. */
function parseFunctions(code) {
  const p = new Parser(tokenize(code));
  const fns = {};
  while (p.peek()) {
    const f = p.fn();
    fns[f.name] = f;
  }
  return fns;
}

const str = (v) => (v === null || v === undefined ? null : String(v));
const escapeHtml = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;');

/**
 * Runs function `name` of `code`. `ctx`:
 *   component  {attribute_01: …}   p_dynamic_action / p_region / p_process attributes (+ static_id …)
 *   plugin     {attribute_01: …}   the component settings (p_plugin)
 *   session    {APP_ID: …}         v('…') and &NAME. substitutions
 *   ajaxIdentifier                 apex_plugin.get_ajax_identifier
 *   generateToken(named args)      auth_pkg.generate_token
 * Returns {value, htp, onload, json}: the return value, what htp.p wrote, the onload code added,
 * and what apex_json wrote (parsed).
 */
function run(code, name, ctx) {
  const fn = parseFunctions(code)[name];
  if (!fn) throw new Error(`no function ${name}`);
  const locals = {};
  const out = { htp: '', onload: [], jsonParts: [] };
  const componentName = ['p_dynamic_action', 'p_region', 'p_process'];

  function arg(args, i, pname, def) {
    const named = args.find((a) => a.name === pname);
    if (named) return ev(named.e);
    const positional = args.filter((a) => !a.name);
    return i < positional.length ? ev(positional[i].e) : def;
  }

  const apis = {
    v: (a) => str(ctx.session[arg(a, 0, 'p_item')]),
    upper: (a) => { const x = arg(a, 0); return x === null ? null : String(x).toUpperCase(); },
    nvl: (a) => { const x = arg(a, 0); return x === null ? arg(a, 1) : x; },
    'apex_escape.html': (a) => { const x = arg(a, 0, 'p_string'); return x === null ? null : escapeHtml(String(x)); },
    'apex_escape.html_attribute': (a) => { const x = arg(a, 0, 'p_string'); return x === null ? null : escapeHtml(String(x)); },
    // &NAME. from session state, HTML-escaped unless p_escape is false
    'apex_plugin_util.replace_substitutions': (a) => {
      const x = arg(a, 0, 'p_value');
      const esc = arg(a, 1, 'p_escape', true);
      if (x === null) return null;
      return String(x).replace(/&([A-Za-z0-9_$#]+)\./g, (all, n) => {
        const val = ctx.session[n.toUpperCase()];
        if (val === undefined) return all;
        return esc ? escapeHtml(String(val ?? '')) : String(val ?? '');
      }) || null;
    },
    // "name":value, — JSON for the value (APEX also escapes < > / as \u…, which changes no value)
    'apex_javascript.add_attribute': (a) => {
      const n = arg(a, 0, 'p_name');
      const val = arg(a, 1, 'p_value');
      const omitNull = arg(a, 2, 'p_omit_null', true);
      const comma = arg(a, 3, 'p_add_comma', true);
      if (val === null && omitNull) return null;
      return `${JSON.stringify(n)}:${val === null ? 'null' : JSON.stringify(String(val))}${comma ? ',' : ''}`;
    },
    'apex_javascript.add_onload_code': (a) => { out.onload.push(arg(a, 0, 'p_code')); return null; },
    'sys.htp.p': (a) => { out.htp += `${arg(a, 0) ?? ''}\n`; return null; },
    'apex_json.open_object': () => { out.jsonParts.push('{'); return null; },
    'apex_json.close_object': () => { out.jsonParts.push('}'); return null; },
    'apex_json.write': (a) => { out.jsonParts.push([arg(a, 0, 'p_name'), arg(a, 1, 'p_value')]); return null; },
    'auth_pkg.generate_token': (a) => {
      const named = {};
      for (const x of a) {
        if (!x.name) throw new Error('unsupported PL/SQL: auth_pkg.generate_token with positional arguments');
        named[x.name] = ev(x.e);
      }
      return ctx.generateToken(named);
    },
  };

  function ev(e) {
    switch (e.e) {
      case 'lit': return e.v;
      case 'concat': {
        const parts = e.parts.map(ev);
        return parts.every((p) => p === null) ? null : parts.map((p) => (p === null ? '' : String(p))).join('');
      }
      case 'or': return ev(e.l) === true || ev(e.r) === true;
      case 'and': return ev(e.l) === true && ev(e.r) === true;
      case 'not': return !ev(e.x);
      case 'isnull': return ev(e.x) === null;
      case 'notnull': return ev(e.x) !== null;
      case 'eq': case 'ne': {
        const l = ev(e.l);
        const r = ev(e.r);
        if (l === null || r === null) return false; // null compares to nothing
        return e.e === 'eq' ? String(l) === String(r) : String(l) !== String(r);
      }
      case 'name': {
        if (e.name === 'apex_plugin.get_ajax_identifier') return ctx.ajaxIdentifier;
        if (Object.prototype.hasOwnProperty.call(locals, e.name)) return locals[e.name];
        const [obj, field] = e.name.split('.');
        if (componentName.includes(obj) && field) return str(ctx.component[field]);
        if (obj === 'p_plugin' && field) return str(ctx.plugin[field]);
        throw new Error(`unsupported PL/SQL: ${e.name}`);
      }
      case 'call': {
        const api = apis[e.name];
        if (!api) throw new Error(`unsupported PL/SQL call: ${e.name}`);
        return api(e.args);
      }
      default: throw new Error(`unsupported PL/SQL: ${e.e}`);
    }
  }

  function exec(stmts) {
    for (const s of stmts) {
      if (s.s === 'return') return { value: ev(s.e) };
      if (s.s === 'call') ev(s.e);
      else if (s.s === 'assign') {
        const [obj, field] = s.target.split('.');
        if (!Object.prototype.hasOwnProperty.call(locals, obj)) throw new Error(`unsupported PL/SQL: ${s.target} is not declared`);
        if (field) locals[obj] = { ...(locals[obj] || {}), [field]: ev(s.e) };
        else locals[obj] = ev(s.e);
      } else if (s.s === 'if') {
        const branch = s.branches.find((b) => ev(b.cond) === true);
        const r = exec(branch ? branch.body : s.other);
        if (r) return r;
      }
    }
    return null;
  }

  for (const d of fn.decls) locals[d.v] = d.init ? ev(d.init) : null;
  const r = exec(fn.body);
  let json = null;
  if (out.jsonParts.length) {
    if (out.jsonParts[0] !== '{' || out.jsonParts[out.jsonParts.length - 1] !== '}') throw new Error('unsupported apex_json use');
    json = Object.fromEntries(out.jsonParts.slice(1, -1));
  }
  return { value: r ? r.value : null, htp: out.htp, onload: out.onload, json };
}

module.exports = { run, parseFunctions, tokenize };
