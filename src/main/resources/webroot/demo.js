/*
 * apex-pulse demo pages: what every page shares. Plain ES2017, no build step, no dependencies
 * besides /js/pulse.js. Dev mode only: tokens come from /dev/token (answered to localhost only);
 * an APEX page gets them from the PULSE_TOKEN Ajax Callback instead (apex/README.md).
 *
 * Query parameters understood by every page:
 *   user=alice   the token subject (default: a name kept for this browser tab)
 *   ttl=30       token lifetime in seconds (to watch the client refresh expired tokens)
 */
(function () {
  'use strict';

  var APP = '100';
  var params = new URLSearchParams(location.search);
  var NAME_RULE = /[^A-Za-z0-9_.:@-]/g; // a user name must be a valid channel segment (user/{sub})

  /** Everything the browser tests look at, in one place. */
  var state = {
    loadedAt: Date.now(),
    tokenRequests: [],   // reason of each tokenProvider call: initial | reconnect | auth
    recoveries: 0,       // recovered:false answers (data reloaded)
    status: 'connecting',
    welcomes: 0,
    pulseEvents: [],     // detail of each pulse-message DOM event seen by the page
  };
  window.demoState = state;

  function userName() {
    var u = (params.get('user') || '').replace(NAME_RULE, '').slice(0, 64);
    if (!u) {
      u = sessionStorage.getItem('pulse-demo-user');
      if (!u) {
        u = 'guest-' + Math.random().toString(16).slice(2, 6);
        sessionStorage.setItem('pulse-demo-user', u);
      }
    }
    return u;
  }

  var user = userName();

  function $(id) { return document.getElementById(id); }

  /** el('li', {class: 'x', 'data-k': 1}, 'text', child): text children are text nodes, never HTML. */
  function el(tag, attrs) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (attrs[k] === null || attrs[k] === undefined) return;
      if (k === 'text') e.textContent = attrs[k];
      else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), attrs[k]);
      else e.setAttribute(k, attrs[k]);
    });
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) continue;
      e.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    }
    return e;
  }

  function timeOf(iso) {
    var d = iso ? new Date(iso) : new Date();
    return isNaN(d) ? String(iso) : d.toLocaleTimeString();
  }

  // ------------------------------------------------------------------ toasts

  function toast(text, kind) {
    var box = $('toasts');
    if (!box) {
      box = el('div', { id: 'toasts', 'aria-live': 'polite' });
      document.body.appendChild(box);
    }
    var t = el('div', { class: 'toast ' + (kind || 'info'), role: 'status' }, text);
    box.appendChild(t);
    setTimeout(function () { t.classList.add('gone'); }, 6000);
    setTimeout(function () { t.remove(); }, 6600);
    return t;
  }

  /**
   * The few APEX JavaScript APIs the pulse.apex helpers call, for pages outside APEX: regions
   * registered with region(), items are elements by id, page success messages are toasts. In APEX
   * itself none of this exists: the helpers use window.apex.
   */
  var regions = {};
  var apexShim = {
    region: function (staticId) { return regions[staticId] || null; },
    item: function (name) {
      return {
        setValue: function (v) {
          var e = $(name);
          if (e) e.textContent = v;
        },
      };
    },
    message: {
      // the helpers hand over escaped HTML; a toast shows text, so undo the escaping safely
      showPageSuccess: function (html) {
        var tmp = document.createElement('textarea');
        tmp.innerHTML = html;
        toast(tmp.value, 'success');
      },
      showErrors: function (errors) { errors.forEach(function (e) { toast(e.message, 'error'); }); },
    },
    util: { escapeHTML: function (s) { return pulse._internal.escapeHtml(s); } },
    /** demo only: a "region" whose refresh() calls fn */
    defineRegion: function (staticId, fn) { regions[staticId] = { refresh: fn }; },
  };

  // ------------------------------------------------------------------ connection

  function tokenUrl() {
    var q = new URLSearchParams({ app: APP, user: user, name: user });
    if (params.get('ttl')) q.set('ttl', params.get('ttl'));
    return '/dev/token?' + q.toString();
  }

  function setStatus(s, detail) {
    state.status = s;
    var b = $('status');
    if (b) {
      b.dataset.state = s;
      b.textContent = detail ? s + ' (' + detail + ')' : s;
    }
  }

  function connect() {
    var url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws';
    var client = pulse.connect({
      url: url,
      // asked before every connect; reason 'auth' after the server closed with 1008 (expired)
      tokenProvider: function (req) {
        state.tokenRequests.push(req.reason);
        return fetch(tokenUrl(), { cache: 'no-store' })
          .then(function (r) {
            if (!r.ok) throw new Error('/dev/token answered ' + r.status + ' (dev mode and localhost only)');
            return r.json();
          })
          .then(function (j) { return j.token; });
      },
    });
    client.on('open', function () { setStatus('open'); });
    client.on('welcome', function (w) {
      state.welcomes++;
      setStatus('online', w.node);
    });
    client.on('close', function (e) { setStatus('offline', 'code ' + e.code); });
    client.on('reconnecting', function (e) { setStatus('reconnecting', 'in ' + Math.round(e.delay) + ' ms'); });
    client.on('recovery', function () { state.recoveries++; });
    // every demo page is "online": the dashboard counts the users on this channel
    client.subscribe('site/online', function () {});
    var who = $('user');
    if (who) who.textContent = user;
    window.demoClient = client;
    return client;
  }

  /** The demo orders endpoints (/dev/orders) exist when the embedded database is on. */
  function orders(method, path, body) {
    return fetch('/dev/orders' + (path || ''), {
      method: method || 'GET',
      headers: body ? { 'Content-Type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
      cache: 'no-store',
    }).then(function (r) {
      return r.text().then(function (text) {
        var j = null;
        try { j = JSON.parse(text); } catch (ignored) { /* e.g. the 404 page */ }
        if (!r.ok || !j) {
          var e = new Error((j && j.error && j.error.message) || '/dev/orders answered HTTP ' + r.status);
          e.status = r.status;
          throw e;
        }
        return j;
      });
    });
  }

  document.addEventListener('pulse-message', function (e) { state.pulseEvents.push(e.detail); });

  window.demo = {
    APP: APP,
    user: user,
    params: params,
    state: state,
    apex: apexShim,
    $: $,
    el: el,
    timeOf: timeOf,
    toast: toast,
    connect: connect,
    orders: orders,
  };
})();
