'use strict';
// The plug-in exports in apex/plugins, offline: up to date with their sources (build.js), valid
// SQL*Plus scripts and PL/SQL for the grammar, every wwv_flow_imp* call and parameter name one
// that real APEX 22.1 exports use (apex/plugins/reference/apex-22.1-exports.json), and internally
// consistent (ids, references, files, the functions they name). What a browser does with them is
// in apex/test-browser/test/plugins.test.js.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { checkScript, parseSql, formatErrors } = require('../lib/check');
const { parseExport, single } = require('../lib/apex-export');
const { declarations, applicable } = require('../lib/overloads');

const PLUGINS = path.resolve(__dirname, '..', '..', 'plugins');
const SQL = path.resolve(__dirname, '..', '..', 'sql');
const { build } = require(path.join(PLUGINS, 'build.js'));
const reference = JSON.parse(fs.readFileSync(path.join(PLUGINS, 'reference', 'apex-22.1-exports.json'), 'utf8'));
const exportFiles = fs.readdirSync(PLUGINS).filter((f) => f.endsWith('.sql')).sort();
const read = (f) => fs.readFileSync(path.join(PLUGINS, f), 'utf8');
const parsed = Object.fromEntries(exportFiles.map((f) => [f, parseExport(read(f))]));

function plugin(f) {
  return single(parsed[f], 'wwv_flow_imp_shared.create_plugin').params;
}

test('three exports, each what build.js writes from apex/plugins/src (run node apex/plugins/build.js)', () => {
  const built = build();
  assert.deepEqual(exportFiles, Object.keys(built).sort());
  for (const f of exportFiles) assert.ok(read(f) === built[f], `${f} is stale: run node apex/plugins/build.js`);
  assert.deepEqual(exportFiles.map((f) => plugin(f).p_plugin_type).sort(), ['DYNAMIC ACTION', 'PROCESS TYPE', 'REGION TYPE']);
});

test('every export is a valid SQL*Plus script for the PL/SQL grammar (ASCII only)', () => {
  for (const f of exportFiles) {
    const text = read(f);
    assert.doesNotMatch(text, /[^\x09\x0a\x20-\x7e]/, `${f}: non-ASCII character`);
    const r = checkScript(text, { embedded: false });
    assert.deepEqual(r.errors, [], formatErrors(path.join(PLUGINS, f), r.errors));
    assert.ok(r.statements.length >= 4, `${f}: ${r.statements.length} statements`);
  }
});

test('every PL/SQL body in the exports parses (plug-in code, SQL examples)', () => {
  for (const f of exportFiles) {
    const code = plugin(f).p_plsql_code;
    assert.ok(code && code.length > 200, `${f}: no PL/SQL code`);
    // APEX compiles the plug-in code as the declarations of an anonymous block
    const errors = parseSql(`create or replace package body apex_pulse_plugin as\n${code}\nend apex_pulse_plugin;`, { startLine: 1 });
    assert.deepEqual(errors, [], `${f}: p_plsql_code: ${JSON.stringify(errors)}`);
    for (const a of parsed[f].calls.filter((c) => c.name === 'wwv_flow_imp_shared.create_plugin_attribute' && c.params.p_attribute_type === 'SQL')) {
      assert.deepEqual(parseSql(`${a.params.p_examples};`), [], `${f}: example of ${a.params.p_prompt}`);
    }
  }
});

function knownNames() {
  const known = {};
  for (const s of reference.sources) {
    for (const [call, params] of Object.entries(s.calls)) {
      known[call] = known[call] || new Set();
      for (const p of params) known[call].add(p);
    }
  }
  return known;
}

/** Calls and parameter names of a parsed export that no reference export shows. */
function unknownNames(name, p, known = knownNames()) {
  const problems = [];
  for (const m of p.members) if (!known[m]) problems.push(`${name}: ${m} is in no reference export`);
  for (const c of p.calls) {
    if (!known[c.name]) continue;
    for (const k of Object.keys(c.params)) {
      if (!known[c.name].has(k)) problems.push(`${name}:${c.line}: ${c.name}(${k}) is in no reference export`);
    }
  }
  return problems;
}

test('the reference list names its sources: real 22.1 exports, repository, path, commit', () => {
  assert.ok(reference.sources.length >= 3);
  for (const s of reference.sources) {
    assert.match(s.release, /^22\.1\./, `${s.path}: not a 22.1 export`);
    assert.match(s.commit, /^[0-9a-f]{40}$/);
    assert.ok(s.url === `https://github.com/${s.repository}/blob/${s.commit}/${s.path}`, s.url);
  }
});

test('the name check finds a call or a parameter no reference shows', () => {
  const bad = parseExport(`begin
wwv_flow_imp_shared.create_plugin(
 p_id=>wwv_flow_imp.id(1)
,p_plugin_typ=>'DYNAMIC ACTION'
);
wwv_flow_imp_shared.create_plugin_setting(
 p_id=>wwv_flow_imp.id(2)
);
end;
/
`);
  assert.deepEqual(unknownNames('bad.sql', bad), [
    'bad.sql: wwv_flow_imp_shared.create_plugin_setting is in no reference export',
    'bad.sql:2: wwv_flow_imp_shared.create_plugin(p_plugin_typ) is in no reference export',
  ]);
});

test('every wwv_flow_imp* call and parameter name is one real APEX 22.1 exports use', () => {
  const problems = exportFiles.flatMap((f) => unknownNames(f, parsed[f]));
  assert.deepEqual(problems, []);
  for (const f of exportFiles) {
    const begin = single(parsed[f], 'wwv_flow_imp.import_begin').params;
    assert.equal(begin.p_release, '22.1.0', f);
    assert.equal(begin.p_version_yyyy_mm_dd, '2022.04.12', f);
  }
});

test('ids, references and sequences are consistent within each export', () => {
  for (const f of exportFiles) {
    const p = parsed[f];
    const pluginId = plugin(f).p_id.id;
    const ids = p.calls.filter((c) => c.params.p_id).map((c) => c.params.p_id.id);
    assert.equal(new Set(ids).size, ids.length, `${f}: duplicate ids`);
    const attributes = p.calls.filter((c) => c.name === 'wwv_flow_imp_shared.create_plugin_attribute');
    const attributeIds = new Set(attributes.map((a) => a.params.p_id.id));
    for (const c of p.calls) {
      if (c.params.p_plugin_id) assert.equal(c.params.p_plugin_id.id, pluginId, `${f}:${c.line}`);
      if (c.params.p_plugin_attribute_id) assert.ok(attributeIds.has(c.params.p_plugin_attribute_id.id), `${f}:${c.line}`);
      if (c.params.p_depending_on_attribute_id) assert.ok(attributeIds.has(c.params.p_depending_on_attribute_id.id), `${f}:${c.line}`);
    }
    for (const scope of ['APPLICATION', 'COMPONENT']) {
      const seqs = attributes.filter((a) => a.params.p_attribute_scope === scope).map((a) => a.params.p_attribute_sequence);
      assert.equal(new Set(seqs).size, seqs.length, `${f}: duplicate ${scope} sequences`);
      assert.ok(seqs.every((s) => s >= 1 && s <= 25), `${f}: ${scope} sequences ${seqs}`);
    }
    // the functions the plug-in names are defined in its code
    const code = plugin(f).p_plsql_code;
    for (const fn of ['p_render_function', 'p_ajax_function', 'p_execution_function']) {
      const name = plugin(f)[fn];
      if (name) assert.match(code, new RegExp(`\\bfunction ${name}\\(`), `${f}: ${fn} ${name}`);
    }
  }
});

test('plug-in files: the browser client is apex/js/pulse.min.js byte for byte, every referenced file is shipped', () => {
  const pulseMin = fs.readFileSync(path.resolve(__dirname, '..', '..', 'js', 'pulse.min.js'));
  const helper = fs.readFileSync(path.join(PLUGINS, 'src', 'apex-pulse-plugins.js'));
  for (const f of exportFiles) {
    const files = parsed[f].files;
    const urls = plugin(f).p_javascript_file_urls;
    if (!urls) { assert.deepEqual(files, {}, f); continue; }
    assert.ok(files['pulse.min.js'].equals(pulseMin), `${f}: pulse.min.js differs from apex/js/pulse.min.js`);
    assert.ok(files['apex-pulse-plugins.js'].equals(helper), `${f}: apex-pulse-plugins.js differs from src`);
    for (const u of urls.split('\n')) {
      const m = /^#PLUGIN_FILES#(.+)$/.exec(u);
      assert.ok(m && files[m[1]], `${f}: ${u} is not a file of the plug-in`);
    }
    assert.ok(plugin(f).p_files_version > 0);
  }
});

test('the plug-in code calls the kit as its specs declare it', () => {
  const authSpec = fs.readFileSync(path.join(SQL, 'auth_pkg.pks'), 'utf8');
  const [stored, explicit] = declarations(authSpec, 'generate_token');
  const [publishClob] = declarations(fs.readFileSync(path.join(SQL, 'pulse_pkg.pks'), 'utf8'), 'publish');
  for (const f of exportFiles) {
    const code = plugin(f).p_plsql_code;
    for (const m of code.matchAll(/auth_pkg\.generate_token\(([\s\S]*?)\)\);/g)) {
      const names = [...m[1].matchAll(/(p_[a-z_]+)\s*=>/g)].map((x) => x[1]);
      assert.ok(applicable(stored, 0, names) && !applicable(explicit, 0, names), `${f}: generate_token(${names})`);
      assert.match(m[1], /p_sub_ch\s*=>\s*p_plugin\.attribute_02/, `${f}: the readable channels come from the component settings`);
    }
    for (const m of code.matchAll(/pulse_pkg\.publish\(([^;]*)\);/g)) {
      assert.ok(applicable(publishClob, m[1].split(',').length, []), `${f}: pulse_pkg.publish(${m[1]})`);
      assert.doesNotMatch(code.replace(/--.*$/gm, ''), /\bcommit\b|autonomous_transaction/i, `${f}: the page's transaction decides`);
    }
  }
  const listen = plugin('dynamic_action_plugin_dev_apexpulse_listen.sql');
  const fn = /l_result\.javascript_function\s*:=\s*'([A-Za-z.]+)'/.exec(listen.p_plsql_code)[1];
  const helper = fs.readFileSync(path.join(PLUGINS, 'src', 'apex-pulse-plugins.js'), 'utf8');
  assert.equal(fn, 'apexPulse.listenAction');
  assert.match(helper, /listenAction: listenAction/);
  // the event the JavaScript fires is the one the plug-in declares
  const event = single(parsed['dynamic_action_plugin_dev_apexpulse_listen.sql'], 'wwv_flow_imp_shared.create_plugin_event').params.p_name;
  assert.ok(helper.includes(`'${event}'`), `apex-pulse-plugins.js does not fire ${event}`);
});
