/*!
 * apex-pulse APEX plug-ins: the browser side of "apex-pulse Listen" (Dynamic Action) and
 * "apex-pulse Live Value" (Region). Needs pulse.js (shipped beside it as pulse.min.js).
 * One connection per page and gateway, shared by every Listen action and Live Value region.
 */
(function (root) {
  'use strict';
  // Both plug-ins ship this file: the second copy on a page must not reset the first one's state.
  if (root.apexPulse) return;

  var connections = {}; // gateway URL + app id -> pulse client
  var listeners = {};   // Listen action (its AJAX identifier) -> its subscription

  function apexNs() {
    return root.apex;
  }

  function blank(v) {
    return v === undefined || v === null || v === '';
  }

  function report(what, err) {
    var msg = 'apex-pulse: ' + what + ': ' + (err && err.message ? err.message : err);
    var apex = apexNs();
    if (apex && apex.debug && typeof apex.debug.error === 'function') apex.debug.error(msg);
    if (root.console) root.console.error(msg);
  }

  /** The page's connection to `url` for app `appId`, created on first use. */
  function connection(o) {
    var key = o.url + '#' + o.appId;
    if (connections[key]) return connections[key];
    // public pages (APEX user "nobody") get no token: anonymous, public channels only
    var anonymous = blank(o.user) || String(o.user).toUpperCase() === 'NOBODY';
    var opts = { url: o.url };
    if (anonymous) {
      opts.url = o.url + (o.url.indexOf('?') < 0 ? '?' : '&') + 'app=' + encodeURIComponent(o.appId);
    } else {
      // the plug-in's own AJAX callback signs a token for the APEX user (auth_pkg.generate_token)
      opts.tokenProvider = function () {
        return Promise.resolve(apexNs().server.plugin(o.ajaxIdentifier, {}, { dataType: 'json' }))
          .then(function (r) {
            if (!r || !r.token) throw new Error((r && r.error) || 'no token');
            return r.token;
          });
      };
    }
    var client = root.pulse.connect(opts);
    client.on('error', function (e) { report('connection', e && (e.message || e.code)); });
    connections[key] = client;
    return client;
  }

  /**
   * `&NAME.` in a channel: APP_ID, APP_USER and APP_PAGE_ID from the page, any other name from
   * the page item of that name, read when the action runs (run it again when the item changes).
   */
  function substitute(template, env) {
    return String(template).replace(/&([A-Za-z0-9_$#]+)\./g, function (all, name) {
      var key = name.toUpperCase();
      if (Object.prototype.hasOwnProperty.call(env, key)) return env[key] == null ? '' : String(env[key]);
      var item = apexNs().item(key);
      return item && item.node ? String(item.getValue()) : all;
    });
  }

  /** data.a.b.0.c for path 'a.b.0.c'; the whole message for '' or '.'. */
  function pick(data, path) {
    if (blank(path) || path === '.') return data;
    var parts = String(path).split('.');
    var v = data;
    for (var i = 0; i < parts.length; i++) {
      if (v === null || v === undefined || typeof v !== 'object') return undefined;
      v = v[parts[i]];
    }
    return v;
  }

  function text(v) {
    return v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v);
  }

  function list(csv) {
    return blank(csv) ? [] : String(csv).split(',').map(function (s) { return s.trim(); }).filter(Boolean);
  }

  /** 'P1_TOTAL=total, P1_AT=at' -> [{item: 'P1_TOTAL', path: 'total'}, ...] */
  function itemMap(csv) {
    return list(csv).map(function (pair) {
      var eq = pair.indexOf('=');
      return eq < 0 ? { item: pair, path: '.' } : { item: pair.slice(0, eq).trim(), path: pair.slice(eq + 1).trim() };
    });
  }

  /** Runs fn with the last argument once per burst: after `wait` ms of quiet, at most `maxWait` late. */
  function debouncer(wait, fn) {
    if (!(wait > 0)) return fn;
    var maxWait = Math.max(wait * 4, 1000);
    var timer = null;
    var first = 0;
    var last;
    return function (x) {
      last = x;
      var now = Date.now();
      if (timer === null) first = now;
      else clearTimeout(timer);
      timer = setTimeout(function () {
        timer = null;
        fn(last);
      }, Math.min(wait, Math.max(0, first + maxWait - now)));
    };
  }

  function messageText(template, data) {
    if (blank(template)) {
      if (typeof data === 'string') return data;
      var v = data && (data.message != null ? data.message : data.text != null ? data.text : data.title);
      return v == null ? '' : text(v);
    }
    return String(template).replace(/#([A-Za-z0-9_.$]+)#/g, function (all, path) {
      var v = pick(data, path);
      return v === undefined || v === null ? '' : text(v);
    });
  }

  /** What a Listen action does with a message (after the debounce). */
  function react(o, msg) {
    var apex = apexNs();
    o.regions.forEach(function (id) {
      var region = apex.region(id);
      if (region && typeof region.refresh === 'function') region.refresh();
      else report('refresh', 'no region with static id ' + id);
    });
    if (!msg) return; // history lost after a reconnect: only the regions reload
    o.items.forEach(function (m) {
      var v = pick(msg.data, m.path);
      if (v !== undefined) apex.item(m.item).setValue(v === null ? '' : text(v));
    });
    if (o.message) {
      var t = messageText(o.message.text, msg.data);
      if (t !== '') {
        if (o.message.type === 'error') {
          // showErrors escapes the message itself when unsafe is false
          apex.message.showErrors([{ type: 'error', location: 'page', message: t, unsafe: false }]);
        } else {
          apex.message.showPageSuccess(apex.util.escapeHTML(t));
        }
      }
    }
    if (o.event) apex.event.trigger(root.document.body, 'apexpulse-message', msg);
  }

  function listen(o) {
    var previous = listeners[o.key];
    if (previous) previous.unsubscribe(); // the action ran again, e.g. after its item changed
    var client = connection(o);
    var handle = debouncer(o.debounce, function (msg) { react(o, msg); });
    var sub = client.subscribe(o.channel, function (data, meta) {
      handle({ channel: meta.channel, offset: meta.offset, data: data, from: meta.from });
    }, {
      onRecovery: function () { if (o.regions.length) handle(null); },
      onError: function (e) { report('subscribe ' + o.channel, e); },
    });
    listeners[o.key] = sub;
    return sub;
  }

  /** "apex-pulse Listen": `this` is the Dynamic Action context; the render function fills the attributes. */
  function listenAction() {
    var a = this.action;
    var env = { APP_ID: a.attribute09, APP_USER: a.attribute10, APP_PAGE_ID: a.attribute11 };
    var channel = substitute(a.attribute01, env);
    try {
      listen({
        key: a.ajaxIdentifier,
        url: a.attribute08,
        appId: a.attribute09,
        user: a.attribute10,
        ajaxIdentifier: a.ajaxIdentifier,
        channel: channel,
        regions: list(a.attribute02),
        items: itemMap(a.attribute03),
        message: blank(a.attribute04) ? null : { type: String(a.attribute04).toLowerCase(), text: a.attribute05 },
        event: a.attribute06 === 'Y',
        debounce: blank(a.attribute07) ? 250 : Number(a.attribute07),
      });
    } catch (e) {
      report('listen to ' + channel, e); // an invalid channel name, e.g. an item that is empty
    }
  }

  /** "apex-pulse Live Value": keeps the text of element `elementId` at field `field` of the last message. */
  function liveValue(o) {
    var el = root.document.getElementById(o.elementId);
    var channel = substitute(o.channel, { APP_ID: o.appId, APP_USER: o.user, APP_PAGE_ID: o.pageId });
    try {
      return connection(o).subscribe(channel, function (data) {
        var v = pick(data, o.field);
        if (v !== undefined && el) el.textContent = v === null ? '' : text(v);
      }, { onError: function (e) { report('subscribe ' + channel, e); } });
    } catch (e) {
      report('listen to ' + channel, e);
      return null;
    }
  }

  root.apexPulse = {
    listenAction: listenAction,
    liveValue: liveValue,
    _internal: { substitute: substitute, pick: pick, itemMap: itemMap, messageText: messageText, connections: connections },
  };
})(window);
