'use strict';
// JavaScript copy of the HTTP side of pulse_pkg (apex/sql/pulse_pkg.pkb): presence_json,
// online_count, online_users and notify_user, step by step, with what the database does around
// them made explicit and injectable:
//   - the outbox: publish adds to the caller's transaction (`tx`); the gateway's poller publishes
//     committed rows, emulated by tx.commit() (rollback() publishes nothing);
//   - apex_web_service: a real HTTP request (fetch) with the app's API key;
//   - apex_pwa.send_push_notification: `pwa(args)`, or null when APEX has no apex_pwa (< 23.1).
// test/pulse-pkg.test.js checks this copy against the PL/SQL text; the browser suite runs it
// against a real gateway with real subscribers.
const { normalizeChannel } = require('./channel');

class PlsqlError extends Error {
  constructor(code, message) {
    super(`ORA${code}: ${message}`);
    this.code = code;
  }
}

// utl_url.escape(url, escape_reserved_chars => true, 'AL32UTF8'): every character but the
// unreserved ones of RFC 2396 (A-Z a-z 0-9 - _ . ! ~ * ' ( )) becomes %XX of its UTF-8 bytes.
function utlUrlEscape(s) {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-_.!~*'()]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** An outbox transaction: rows become messages only after commit (the gateway's poller). */
class OutboxTransaction {
  constructor(publishCommitted) {
    this.rows = [];
    this.publishCommitted = publishCommitted;
  }

  insert(appId, channel, payload) {
    JSON.parse(payload); // the outbox's IS JSON check
    this.rows.push({ appId, channel, payload });
  }

  async commit() {
    const rows = this.rows;
    this.rows = [];
    for (const r of rows) await this.publishCommitted(r);
  }

  rollback() {
    this.rows = [];
  }
}

class PulsePkg {
  /**
   * @param {object} deps
   * @param {object} deps.apps  pulse_app_secret: {appId: {gatewayUrl, apiKey}}
   * @param {function|null} deps.pwa  apex_pwa.send_push_notification, or null without apex_pwa
   */
  constructor({ apps, pwa }) {
    this.apps = apps;
    this.pwa = pwa;
  }

  gatewayOf(appId) {
    const app = this.apps[appId];
    if (!app) throw new PlsqlError(-20005, `app ${appId} is not registered in pulse_app_secret`);
    if (!app.gatewayUrl || !app.apiKey) {
      throw new PlsqlError(-20005, `app ${appId}: pulse_app_secret.gateway_url and api_key are required to call the gateway`);
    }
    return { url: app.gatewayUrl.replace(/\/+$/, ''), apiKey: app.apiKey };
  }

  async gatewayRequest(appId, method, path, body) {
    const { url, apiKey } = this.gatewayOf(appId);
    const r = await fetch(url + path, {
      method,
      headers: { 'Content-Type': 'application/json; charset=utf-8', Authorization: `Bearer ${apiKey}` },
      body: body == null ? undefined : body,
    });
    return { status: r.status, body: await r.text() };
  }

  publish(tx, appId, channel, data) {
    const ch = normalizeChannel(channel);
    if (data == null || data === '') throw new PlsqlError(-20003, 'p_data is empty: a message needs JSON data');
    tx.insert(appId, ch, data);
  }

  async presenceJson(appId, channel) {
    const ch = normalizeChannel(channel);
    const r = await this.gatewayRequest(appId, 'GET', `/api/v1/apps/${appId}/presence?channel=${utlUrlEscape(ch)}`, null);
    if (r.status !== 200) {
      throw new PlsqlError(-20004, `gateway presence of ${ch} failed: HTTP ${r.status} ${r.body.slice(0, 1000)}`);
    }
    return r.body;
  }

  async onlineCount(appId, channel) {
    return JSON.parse(await this.presenceJson(appId, channel)).count;
  }

  async onlineUsers(appId, channel) {
    const clients = JSON.parse(await this.presenceJson(appId, channel)).clients;
    return (clients || []).map((c) => ({ user_name: c.user == null ? null : c.user, display_name: c.name == null ? null : c.name }));
  }

  push(appId, user, title, body, url) {
    if (!this.pwa) {
      throw new PlsqlError(-20007, `notify_user: ${user} has no page open and a web push needs apex_pwa (APEX 23.1+, an app with push notifications enabled)`);
    }
    this.pwa({ p_application_id: appId, p_user_name: user, p_title: title, p_body: body, p_target_url: url });
  }

  async notifyUser(tx, appId, user, { data = null, title = null, body = null, url = null } = {}) {
    const channel = normalizeChannel(`user/${user == null ? '' : user}`);
    let message = data;
    if (message == null) {
      if (title == null && body == null && url == null) {
        throw new PlsqlError(-20003, 'notify_user needs p_data, or p_title / p_body / p_url to build the message from');
      }
      const m = {};
      if (title != null) m.title = title;
      if (body != null) m.body = body;
      if (url != null) m.url = url;
      message = JSON.stringify(m);
    }
    this.publish(tx, appId, channel, message);
    if (title == null) return;
    let online;
    try {
      online = await this.onlineCount(appId, channel);
    } catch (e) {
      online = 0;
    }
    if (online === 0) this.push(appId, user, title, body, url);
  }
}

module.exports = { PulsePkg, OutboxTransaction, PlsqlError, utlUrlEscape };
