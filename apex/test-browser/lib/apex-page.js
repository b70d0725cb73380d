'use strict';
// An APEX page, emulated around the plug-in exports themselves: the page loads each plug-in's
// files as the export ships them (decoded from its hex), the render and AJAX functions of the
// export's PL/SQL run in apex/test-plsql/lib/plsql-emulator.js, and the page gets an `apex`
// namespace that records what the plug-ins ask of APEX (region refresh, item values, messages,
// events) and answers apex.server.plugin with the AJAX function's JSON, whose token is signed by
// the JavaScript copy of auth_pkg (apex/test-plsql/lib/token.js) with the app's secret. The Dynamic
// Action framework is reduced to what Page Load does: call the plug-in's javascript_function with
// this.action = the render result. No APEX runs here.
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { parseExport, single } = require('../../test-plsql/lib/apex-export');
const { run } = require('../../test-plsql/lib/plsql-emulator');
const { generateToken } = require('../../test-plsql/lib/token');

const PLUGINS = path.resolve(__dirname, '..', '..', 'plugins');

/** A plug-in as its export file has it: code, files, file URLs. */
function loadPlugin(file) {
  const parsed = parseExport(fs.readFileSync(path.join(PLUGINS, file), 'utf8'));
  const p = single(parsed, 'wwv_flow_imp_shared.create_plugin').params;
  return {
    name: p.p_name,
    type: p.p_plugin_type,
    code: p.p_plsql_code,
    render: p.p_render_function,
    ajax: p.p_ajax_function,
    fileUrls: (p.p_javascript_file_urls || '').split('\n').filter(Boolean),
    files: parsed.files,
    slug: file.replace(/\.sql$/, ''),
  };
}

const LISTEN = 'dynamic_action_plugin_dev_apexpulse_listen.sql';
const LIVE_VALUE = 'region_type_plugin_dev_apexpulse_live_value.sql';

// The emulated apex namespace; `apexLog` is what the tests read.
const APEX_NAMESPACE = `
window.apexLog = { refreshed: [], items: [], success: [], errors: [], events: [], debug: [], handled: [] };
window.daHandlers = {};
(function () {
  function esc(s) {
    return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;');
  }
  window.apex = {
    region: function (id) {
      var el = document.getElementById(id);
      return el ? { element: el, refresh: function () { apexLog.refreshed.push(id); } } : null;
    },
    item: function (name) {
      var el = document.getElementById(name);
      return {
        node: el || false,
        getValue: function () { return el ? el.value : ''; },
        setValue: function (v) { if (el) el.value = v; apexLog.items.push([name, v]); },
      };
    },
    message: {
      showPageSuccess: function (m) { apexLog.success.push(m); },
      showErrors: function (errors) { apexLog.errors.push(errors); },
    },
    util: { escapeHTML: esc },
    event: {
      // a Dynamic Action on the event runs with this.data = the data
      trigger: function (target, name, data) {
        apexLog.events.push({ target: target === document.body ? 'body' : String(target), name: name, data: data });
        (daHandlers[name] || []).forEach(function (h) { h.call({ data: data, triggeringElement: target }); });
      },
    },
    server: {
      plugin: function (ajaxIdentifier, data, options) { return window.apexAjax(ajaxIdentifier, data || {}, options || {}); },
    },
    debug: {
      error: function (m) { apexLog.debug.push(['error', m]); },
      warn: function (m) { apexLog.debug.push(['warn', m]); },
      info: function () {},
    },
  };
})();
`;

class ApexApp {
  /**
   * @param {object} o
   * @param {string} o.appId
   * @param {string} o.secret       pulse_app_secret.secret of the app (signs the tokens)
   * @param {object} o.settings     component settings per plug-in file: {attribute_01: …}
   */
  constructor(o) {
    this.appId = o.appId;
    this.secret = o.secret;
    this.settings = o.settings;
    this.pages = new Map(); // path -> html
    this.server = null;
    this.plugins = { [LISTEN]: loadPlugin(LISTEN), [LIVE_VALUE]: loadPlugin(LIVE_VALUE) };
    this.ajax = new Map(); // ajax identifier -> {plugin, component}
    this.ajaxCalls = [];
    this.tokens = [];
    this.seq = 0;
  }

  ctx(pluginFile, component, session, ajaxIdentifier) {
    return {
      component,
      plugin: this.settings[pluginFile] || {},
      session,
      ajaxIdentifier,
      generateToken: (named) => {
        const r = generateToken({
          appId: named.p_app_id, user: named.p_user, subCh: named.p_sub_ch ?? null, pubCh: named.p_pub_ch ?? null,
          ttlSeconds: named.p_ttl_seconds ?? 3600, name: named.p_name ?? null, trigCh: named.p_trig_ch ?? null,
          secret: this.secret, iat: Math.floor(Date.now() / 1000),
        });
        this.tokens.push(r.token);
        return r.token;
      },
    };
  }

  /**
   * Renders a page: `items` {P1_X: value}, `regions` static ids (plain regions to refresh),
   * `listen` [component attributes of Listen actions run on Page Load], `liveValues`
   * [{staticId, attribute_01…}], `user` (APP_USER, 'nobody' for a public page).
   */
  render(page) {
    const session = { APP_ID: this.appId, APP_USER: page.user, APP_PAGE_ID: '1', ...page.items };
    const used = new Set();
    const onload = [];
    let body = '';
    for (const [name, value] of Object.entries(page.items || {})) {
      body += `<label>${name} <input id="${name}" value="${String(value).replace(/"/g, '&quot;')}"></label>\n`;
    }
    for (const id of page.regions || []) body += `<div id="${id}" class="t-Region">region ${id}</div>\n`;
    for (const lv of page.liveValues || []) {
      const plugin = this.plugins[LIVE_VALUE];
      used.add(LIVE_VALUE);
      const ajaxIdentifier = `AJAX-${++this.seq}`;
      const component = { ...lv, static_id: lv.staticId };
      this.ajax.set(ajaxIdentifier, { file: LIVE_VALUE, component, session });
      const r = run(plugin.code, plugin.render, this.ctx(LIVE_VALUE, component, session, ajaxIdentifier));
      body += `<div id="${lv.staticId}" class="t-Region"><div class="t-Region-body">${r.htp}</div></div>\n`;
      onload.push(...r.onload);
    }
    const actions = [];
    for (const attrs of page.listen || []) {
      const plugin = this.plugins[LISTEN];
      used.add(LISTEN);
      const ajaxIdentifier = `AJAX-${++this.seq}`;
      this.ajax.set(ajaxIdentifier, { file: LISTEN, component: attrs, session });
      const r = run(plugin.code, plugin.render, this.ctx(LISTEN, attrs, session, ajaxIdentifier)).value;
      // this.action as the DA framework builds it: attributeNN for the attributes that have a value
      const action = { ajaxIdentifier: r.ajax_identifier };
      for (const [k, v] of Object.entries(r)) {
        const m = /^attribute_(\d\d)$/.exec(k);
        if (m && v !== null) action[`attribute${m[1]}`] = v;
      }
      actions.push({ fn: r.javascript_function, action });
    }
    const scripts = [...used].flatMap((f) => this.plugins[f].fileUrls.map((u) => u.replace('#PLUGIN_FILES#', `/plugin-files/${this.plugins[f].slug}/`)));
    // Page Load: region onload code, then the Dynamic Actions in order (APEX runs both on page ready)
    const ready = [
      ...onload,
      ...actions.map((a) => `window.pageActions.push(${JSON.stringify(a.action)}); (${a.fn}).call({ action: ${JSON.stringify(a.action)}, triggeringElement: document, affectedElements: [], browserEvent: 'load' });`),
    ].join('\n');
    return `<!doctype html>
<html><head><meta charset="utf-8"><title>APEX page (emulated)</title>
<script>${APEX_NAMESPACE}\nwindow.pageActions = [];</script>
${scripts.map((s) => `<script src="${s}"></script>`).join('\n')}
</head><body>
${body}
<script>document.addEventListener('DOMContentLoaded', function () {\n${ready}\n});</script>
</body></html>`;
  }

  /** Serves the pages and plug-in files on a loopback port (the pages' origin: http://localhost:<port>). */
  async start() {
    this.server = http.createServer((req, res) => {
      const url = new URL(req.url, 'http://localhost');
      const m = /^\/plugin-files\/([^/]+)\/(.+)$/.exec(url.pathname);
      const plugin = m && Object.values(this.plugins).find((x) => x.slug === m[1]);
      const file = plugin && plugin.files[m[2]];
      const html = this.pages.get(url.pathname);
      if (file) res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(file);
      else if (html) res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(html);
      else if (url.pathname === '/favicon.ico') res.writeHead(204).end();
      else res.writeHead(404).end('not found');
    });
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://localhost:${this.server.address().port}`;
    return this;
  }

  async close() {
    if (this.server) await new Promise((resolve) => this.server.close(resolve));
    this.server = null;
  }

  /**
   * Opens the page in a new browser context; resolves with the playwright page (page.sockets: the
   * WebSocket URLs it opened, page.errors: console errors and uncaught exceptions).
   */
  async open(browser, page) {
    const pagePath = `/ords/r/pulse/app/page-${this.pages.size + 1}`;
    this.pages.set(pagePath, this.render(page));
    const context = await browser.newContext();
    const p = await context.newPage();
    p.errors = [];
    p.sockets = [];
    p.on('pageerror', (e) => p.errors.push(`pageerror: ${e.message}`));
    p.on('console', (m) => { if (m.type() === 'error') p.errors.push(`console: ${m.text()}`); });
    p.on('websocket', (ws) => p.sockets.push(ws.url()));
    // apex.server.plugin: APEX runs the plug-in's AJAX function for the action behind the identifier
    await p.exposeFunction('apexAjax', (ajaxIdentifier, data, options) => {
      this.ajaxCalls.push({ ajaxIdentifier, data, options });
      const a = this.ajax.get(ajaxIdentifier);
      if (!a) throw new Error(`unknown AJAX identifier ${ajaxIdentifier}`);
      const plugin = this.plugins[a.file];
      return run(plugin.code, plugin.ajax, this.ctx(a.file, a.component, a.session, ajaxIdentifier)).json;
    });
    await p.goto(`${this.origin}${pagePath}`);
    return p;
  }
}

module.exports = { ApexApp, LISTEN, LIVE_VALUE, loadPlugin };
