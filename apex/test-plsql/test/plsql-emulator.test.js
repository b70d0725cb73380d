'use strict';
// lib/plsql-emulator.js runs the plug-ins' render and AJAX functions in the browser tests. It
// must run exactly the subset it knows, with APEX's semantics, and refuse everything else.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { run } = require('../lib/plsql-emulator');
const { parseExport, single } = require('../lib/apex-export');

const PLUGINS = path.resolve(__dirname, '..', '..', 'plugins');
const fn = (body, decls = '') => `function f(p_plugin in apex_plugin.t_plugin) return varchar2 is\n${decls}\nbegin\n${body}\nend f;`;
const ctx = { component: { attribute_01: 'a' }, plugin: { attribute_01: null }, session: { APP_USER: 'SCOTT', P1_X: '<b>' } };

test('values: null is the empty string, || skips nulls, null compares to nothing', () => {
  assert.equal(run(fn("return '' || null;"), 'f', ctx).value, null);
  assert.equal(run(fn("return 'x' || null || p_dynamic_action.attribute_01;"), 'f', ctx).value, 'xa');
  assert.equal(run(fn("if p_plugin.attribute_01 = 'x' then return 1; elsif p_plugin.attribute_01 is null then return 2; end if; return 3;"), 'f', ctx).value, 2);
  assert.equal(run(fn("if not (v('APP_USER') <> 'SCOTT') then return 'same'; else return 'other'; end if;"), 'f', ctx).value, 'same');
  assert.equal(run(fn('return l_x;', "  l_x varchar2(10) := upper(v('APP_USER')) || '!';"), 'f', ctx).value, 'SCOTT!');
});

test('APEX calls as documented: add_attribute, escaping, substitutions, htp, onload code, apex_json', () => {
  const r = run(fn(`sys.htp.p('<i>' || apex_escape.html(v('P1_X')) || '</i>');
apex_javascript.add_onload_code(p_code => 'go({' || apex_javascript.add_attribute('a', 'x"y') || apex_javascript.add_attribute('n', null)
  || apex_javascript.add_attribute('k', null, false, false) || '});');
apex_json.open_object; apex_json.write('v', apex_plugin_util.replace_substitutions('&P1_X.&NOPE.')); apex_json.close_object;
return null;`), 'f', ctx);
  assert.equal(r.htp, '<i>&lt;b&gt;</i>\n');
  assert.deepEqual(r.onload, ['go({"a":"x\\"y","k":null});']);
  assert.deepEqual(r.json, { v: '&lt;b&gt;&NOPE.' });
});

test('anything outside the subset is refused', () => {
  assert.throws(() => run(fn('for i in 1 .. 2 loop null; end loop; return 1;'), 'f', ctx), /unsupported/);
  assert.throws(() => run(fn("return dbms_random.string('x', 3);"), 'f', ctx), /unsupported PL\/SQL call: dbms_random.string/);
  assert.throws(() => run(fn('l_undeclared := 1; return 1;'), 'f', ctx), /not declared/);
  assert.throws(() => run(fn("return auth_pkg.generate_token('100', 'x');"), 'f', { ...ctx, generateToken: () => 't' }), /positional/);
});

test('the render and AJAX functions of the exports are inside the subset', () => {
  for (const f of ['dynamic_action_plugin_dev_apexpulse_listen.sql', 'region_type_plugin_dev_apexpulse_live_value.sql']) {
    const code = single(parseExport(fs.readFileSync(path.join(PLUGINS, f), 'utf8')), 'wwv_flow_imp_shared.create_plugin').params.p_plsql_code;
    const c = { component: { static_id: 'R1' }, plugin: {}, session: { APP_ID: '101', APP_USER: 'SCOTT', APP_PAGE_ID: '1' },
      ajaxIdentifier: 'id', generateToken: (named) => `token:${Object.keys(named).join(',')}` };
    run(code, 'render', c);
    assert.deepEqual(run(code, 'ajax', c).json, { token: 'token:p_app_id,p_user,p_sub_ch,p_ttl_seconds,p_name' });
    assert.deepEqual(run(code, 'ajax', { ...c, session: { APP_USER: 'nobody' } }).json, { error: 'not authenticated' });
  }
});
