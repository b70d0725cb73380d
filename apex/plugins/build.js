'use strict';
// Writes the plug-in exports apex/plugins/*.sql from src/ (node build.js; --check compares
// instead of writing and exits 1 when an export is stale). The files follow the export format of
// APEX 22.1 (wwv_flow_imp / wwv_flow_imp_shared, a "Component Export" of one plug-in); the calls
// and parameter names are checked against real 22.1 exports by apex/test-plsql/test/plugins.test.js
// (reference/apex-22.1-exports.json). Browser files are embedded as hex, 100 bytes a line, like
// APEX writes them: pulse.min.js is apex/js/pulse.min.js byte for byte.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { PLUGINS } = require('./src/plugins');

const DIR = __dirname;
const RELEASE = { yyyymmdd: '2022.04.12', release: '22.1.0', schema: 'APEX_220100' };
const VERSION = '1.0.0';

/** A stable wwv_flow_imp.id for a component: 15 digits from the hash of its key. */
function id(key) {
  const n = BigInt(`0x${crypto.createHash('sha256').update(key).digest('hex').slice(0, 15)}`) % 10n ** 15n;
  return (n + 10n ** 15n).toString();
}

function quote(s) {
  return `'${String(s).replace(/'/g, "''")}'`;
}

/** A text value: one literal, or wwv_flow_string.join of one literal per line (long lines split). */
function text(value) {
  const lines = Array.isArray(value) ? value : String(value).split('\n');
  for (const l of lines) {
    if (/[^\x09\x20-\x7e]/.test(l)) throw new Error(`non-ASCII or control character in ${JSON.stringify(l)}`);
  }
  const literal = (l) => {
    const parts = [];
    for (let i = 0; i < l.length || parts.length === 0; i += 200) parts.push(quote(l.slice(i, i + 200)));
    return parts.join('\n||');
  };
  if (lines.length === 1) return literal(lines[0]);
  return `wwv_flow_string.join(wwv_flow_t_varchar2(\n${lines.map(literal).join(',\n')}))`;
}

/** wwv_flow_imp_shared.<call>( p_a=>…,p_b=>… ); skipping undefined values. */
function call(name, params) {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined);
  return `${name}(\n${entries.map(([k, v], i) => `${i ? ',' : ' '}${k}=>${v}`).join('\n')}\n);\n`;
}

const ref = (key) => `wwv_flow_imp.id(${id(key)})`;
const bool = (b) => (b ? 'true' : 'false');

function fileContent(f) {
  return fs.readFileSync(path.join(DIR, f.source));
}

function hexBlock(buf) {
  let out = 'begin\nwwv_flow_imp.g_varchar2_table := wwv_flow_imp.empty_varchar2_table;\n';
  const hex = buf.toString('hex').toUpperCase();
  for (let i = 0, n = 1; i < hex.length; i += 200, n++) {
    out += `wwv_flow_imp.g_varchar2_table(${n}) := '${hex.slice(i, i + 200)}';\n`;
  }
  return `${out}end;\n/\n`;
}

function attributeKey(p, a) {
  return `${p.name}/attribute/${a.scope}/${a.seq}`;
}

function exportOf(p) {
  const pid = ref(p.name);
  const plsql = fs.readFileSync(path.join(DIR, p.plsql), 'utf8').replace(/\s+$/, '').split('\n');
  const files = p.files.map((f) => ({ ...f, content: fileContent(f) }));
  const filesVersion = files.length
    ? parseInt(crypto.createHash('sha256').update(Buffer.concat(files.map((f) => f.content))).digest('hex').slice(0, 5), 16) + 1
    : undefined;
  const folder = p.type.toLowerCase().replace(/ type$/, '_type').replace(/ /g, '_');
  const component = p.name.toLowerCase().replace(/[^a-z0-9]+/g, '_');

  let out = '';
  out += `prompt --application/set_environment
set define off verify off feedback off
whenever sqlerror exit sql.sqlcode rollback
--------------------------------------------------------------------------------
--
-- Oracle APEX export file
--
-- You should run the script connected to SQL*Plus as the Oracle user
-- ${RELEASE.schema} or as the owner (parsing schema) of the application.
--
-- NOTE: Calls to apex_application_install override the defaults below.
--
-- apex-pulse plug-in "${p.displayName}" ${VERSION}, written by apex/plugins/build.js
-- in the export format of APEX ${RELEASE.release}; imports into APEX 22.1 and later.
--
--------------------------------------------------------------------------------
begin
wwv_flow_imp.import_begin (
 p_version_yyyy_mm_dd=>'${RELEASE.yyyymmdd}'
,p_release=>'${RELEASE.release}'
,p_default_workspace_id=>${id('apex-pulse/workspace')}
,p_default_application_id=>100
,p_default_id_offset=>0
,p_default_owner=>'PULSE'
);
end;
/
 
prompt APPLICATION 100 - apex-pulse
--
-- Application Export:
--   Application:     100
--   Name:            apex-pulse
--   Exported By:     apex/plugins/build.js
--   Flashback:       0
--   Export Type:     Component Export
--   Manifest
--     PLUGIN: ${id(p.name)}
--   Manifest End
--   Version:         ${RELEASE.release}
--
 
begin
  -- replace components
  wwv_flow_imp.g_mode := 'REPLACE';
end;
/
prompt --application/shared_components/plugins/${folder}/${component}
begin
`;
  out += call('wwv_flow_imp_shared.create_plugin', {
    p_id: pid,
    p_plugin_type: quote(p.type),
    p_name: quote(p.name),
    p_display_name: quote(p.displayName),
    p_category: p.category && quote(p.category),
    p_supported_ui_types: quote('DESKTOP'),
    p_supported_component_types: p.supportedComponentTypes && quote(p.supportedComponentTypes),
    p_image_prefix: files.length
      ? ` nvl(wwv_flow_application_install.get_static_plugin_file_prefix(${quote(p.type)},${quote(p.name)}),'')` : undefined,
    p_javascript_file_urls: p.javascriptFileUrls && text(p.javascriptFileUrls),
    p_plsql_code: text(plsql),
    p_api_version: '1',
    p_render_function: p.renderFunction && quote(p.renderFunction),
    p_ajax_function: p.ajaxFunction && quote(p.ajaxFunction),
    p_execution_function: p.executionFunction && quote(p.executionFunction),
    p_standard_attributes: p.standardAttributes && quote(p.standardAttributes),
    p_substitute_attributes: bool(p.substituteAttributes),
    p_subscribe_plugin_settings: 'true',
    p_help_text: text(p.help),
    p_version_identifier: quote(VERSION),
    p_files_version: filesVersion,
  }).replace('p_image_prefix=> ', 'p_image_prefix => ');
  for (const a of p.attributes) {
    const key = attributeKey(p, a);
    const dep = a.dependsOn && p.attributes.find((b) => b.scope === a.scope && b.seq === a.dependsOn.seq);
    if (a.dependsOn && !dep) throw new Error(`${key}: depends on a missing attribute`);
    out += call('wwv_flow_imp_shared.create_plugin_attribute', {
      p_id: ref(key),
      p_plugin_id: pid,
      p_attribute_scope: quote(a.scope),
      p_attribute_sequence: String(a.seq),
      p_display_sequence: String(a.displaySeq),
      p_prompt: quote(a.prompt),
      p_attribute_type: quote(a.type),
      p_is_required: bool(a.required),
      p_default_value: a.default === undefined ? undefined : quote(a.default),
      p_display_length: a.displayLength && String(a.displayLength),
      p_max_length: a.maxLength && String(a.maxLength),
      p_sql_min_column_count: a.sqlMinColumns && String(a.sqlMinColumns),
      p_sql_max_column_count: a.sqlMaxColumns && String(a.sqlMaxColumns),
      p_is_translatable: 'false',
      p_depending_on_attribute_id: dep && ref(attributeKey(p, dep)),
      p_depending_on_has_to_exist: dep && 'true',
      p_depending_on_condition_type: dep && quote(a.dependsOn.condition),
      p_depending_on_expression: dep && a.dependsOn.expression !== undefined ? quote(a.dependsOn.expression) : undefined,
      p_lov_type: a.lovType && quote(a.lovType),
      p_null_text: a.nullText && quote(a.nullText),
      p_examples: a.examples && text(a.examples),
      p_help_text: text(a.help),
    });
    (a.values || []).forEach((v, i) => {
      out += call('wwv_flow_imp_shared.create_plugin_attr_value', {
        p_id: ref(`${key}/value/${v.ret}`),
        p_plugin_attribute_id: ref(key),
        p_display_sequence: String((i + 1) * 10),
        p_display_value: quote(v.display),
        p_return_value: quote(v.ret),
      });
    });
  }
  for (const e of p.events) {
    out += call('wwv_flow_imp_shared.create_plugin_event', {
      p_id: ref(`${p.name}/event/${e.name}`),
      p_plugin_id: pid,
      p_name: quote(e.name),
      p_display_name: quote(e.displayName),
    });
  }
  out += 'end;\n/\n';
  for (const f of files) {
    out += hexBlock(f.content);
    out += 'begin\n';
    out += call('wwv_flow_imp_shared.create_plugin_file', {
      p_id: ref(`${p.name}/file/${f.name}`),
      p_plugin_id: pid,
      p_file_name: quote(f.name),
      p_mime_type: quote(f.mime),
      p_file_charset: quote('utf-8'),
      p_file_content: 'wwv_flow_imp.varchar2_to_blob(wwv_flow_imp.g_varchar2_table)',
    });
    out += 'end;\n/\n';
  }
  out += `prompt --application/end_environment
begin
wwv_flow_imp.import_end(p_auto_install_sup_obj => nvl(wwv_flow_application_install.get_auto_install_sup_obj, false));
commit;
end;
/
set verify on feedback on define on
prompt  ...done
`;
  return out;
}

/** {file name: export text} for every plug-in. */
function build() {
  const out = {};
  for (const p of PLUGINS) out[p.file] = exportOf(p);
  return out;
}

if (require.main === module) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [name, content] of Object.entries(build())) {
    const file = path.join(DIR, name);
    const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
    if (current === content) continue;
    if (check) {
      console.error(`${name} is stale: run node apex/plugins/build.js`);
      stale++;
    } else {
      fs.writeFileSync(file, content);
      console.log(`${name}: ${Buffer.byteLength(content)} bytes`);
    }
  }
  process.exit(stale ? 1 : 0);
}

module.exports = { build, id, PLUGINS };
