/*
 * apex-pulse operator console (docs/CONSOLE.md). No build step, no dependencies besides pulse.js.
 *
 * Sign-in: the admin key is sent once (POST /api/v1/admin/session, Authorization header) for a session
 * token; only that token is kept, in sessionStorage (this tab). The live data arrives over the gateway's
 * own WebSocket (pulse.js, channel "console"), opened with a short-lived ticket fetched with the
 * session before every (re)connect. Everything shown is set with textContent: channel names, users and
 * error messages come from clients and are never parsed as HTML.
 */
(function () {
  'use strict';

  var STORE = 'pulse.console.session';
  var API = '/api/v1/admin';
  var SERIES = 600;

  var $ = function (id) { return document.getElementById(id); };
  var state = {
    status: 'signed-out',
    session: null,
    client: null,
    ticks: 0,
    last: null,
    series: new Map(), // second -> [published, delivered]
    lastSecond: 0,
    closes: [],
  };
  window.consoleState = state; // for the browser tests

  // ---------------------------------------------------------------- session

  function loadSession() {
    try {
      var s = JSON.parse(sessionStorage.getItem(STORE) || 'null');
      if (s && typeof s.token === 'string' && s.expiresAt > Date.now()) return s;
    } catch (e) { /* ignore */ }
    sessionStorage.removeItem(STORE);
    return null;
  }

  function api(method, path, body) {
    var headers = { Authorization: 'Bearer ' + (state.session ? state.session.token : '') };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return fetch(API + path, {
      method: method, headers: headers, cache: 'no-store', credentials: 'omit',
      body: body !== undefined ? JSON.stringify(body) : undefined,
    }).then(function (r) {
      return r.text().then(function (text) {
        var json = null;
        try { json = JSON.parse(text); } catch (e) { /* not JSON */ }
        if (r.status === 401) {
          signOut('Your session ended: sign in again.');
          throw new Error('signed out');
        }
        if (!r.ok) {
          var msg = json && json.error ? json.error.message : ('HTTP ' + r.status);
          throw new Error(msg);
        }
        return json;
      });
    });
  }

  function signIn(key, operator) {
    $('login-error').textContent = '';
    return fetch(API + '/session', {
      method: 'POST', cache: 'no-store', credentials: 'omit',
      headers: { Authorization: 'Bearer ' + key, 'Content-Type': 'application/json' },
      body: JSON.stringify({ operator: operator || undefined }),
    }).then(function (r) {
      return r.json().catch(function () { return null; }).then(function (json) {
        if (r.status !== 200 || !json || !json.token) {
          var why = r.status === 401 ? 'Invalid admin key.'
            : r.status === 404 ? 'The console is disabled on this node (no admin key configured).'
              : 'Sign-in failed (HTTP ' + r.status + ').';
          throw new Error(why);
        }
        state.session = { token: json.token, operator: json.operator, expiresAt: json.expiresAt };
        sessionStorage.setItem(STORE, JSON.stringify(state.session));
        start();
      });
    });
  }

  function signOut(message) {
    sessionStorage.removeItem(STORE);
    state.session = null;
    if (state.client) {
      var c = state.client;
      state.client = null;
      c.close();
    }
    clearData();
    $('main').hidden = true;
    $('who').hidden = true;
    $('login').hidden = false;
    setStatus('signed-out', 'signed out');
    $('login-error').textContent = message || '';
  }

  function setStatus(s, text) {
    state.status = s;
    $('status').dataset.state = s;
    $('status').textContent = text;
  }

  // ---------------------------------------------------------------- live feed

  function start() {
    $('login').hidden = true;
    $('who').hidden = false;
    $('operator').textContent = state.session.operator;
    $('main').hidden = false;
    setStatus('connecting', 'connecting…');
    var url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/console/ws';
    var client = pulse.connect({
      url: url,
      // a fresh ticket for every connect: the session in a header, the short ticket in the URL
      tokenProvider: function () {
        return api('POST', '/ticket').then(function (r) { return r.ticket; });
      },
    });
    state.client = client;
    client.on('welcome', function (w) { setStatus('live', 'live · ' + w.node); state.node = w.node; });
    client.on('close', function (e) {
      state.closes.push(e.code);
      if (state.client === client && e.willReconnect) setStatus('reconnecting', 'reconnecting…');
    });
    client.subscribe('console', onData, {
      onError: function (err) { logAction('console channel refused: ' + err.message, true); },
    });
  }

  function onData(data) {
    if (!data || !state.session) return;
    if (data.kind === 'full' && data.series) {
      state.series = new Map();
      var s = data.series;
      for (var i = 0; i < s.published.length; i++) state.series.set(s.start + i, [s.published[i], s.delivered[i]]);
      state.lastSecond = s.start + s.published.length - 1;
    }
    if (data.point) {
      state.series.set(data.point.t, [data.point.published, data.point.delivered]);
      state.lastSecond = Math.max(state.lastSecond, data.point.t);
      state.series.forEach(function (v, t) { if (t <= state.lastSecond - SERIES) state.series.delete(t); });
    }
    state.ticks++;
    state.last = data;
    render(data);
  }

  // ---------------------------------------------------------------- rendering

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  function row(cells, numeric) {
    var tr = document.createElement('tr');
    cells.forEach(function (c, i) {
      if (c instanceof Node) {
        var td = document.createElement('td');
        td.appendChild(c);
        tr.appendChild(td);
      } else {
        tr.appendChild(el('td', c, numeric && numeric.indexOf(i) >= 0 ? 'n' : undefined));
      }
    });
    return tr;
  }

  function fill(tbody, rows) {
    tbody.replaceChildren.apply(tbody, rows);
  }

  function button(text, onClick, danger) {
    var b = el('button', text, danger ? 'danger' : undefined);
    b.type = 'button';
    b.addEventListener('click', onClick);
    return b;
  }

  function ms(v) { return v === null || v === undefined ? '–' : (v < 10 ? v.toFixed(2) : v.toFixed(0)) + ' ms'; }
  function num(v) { return v === null || v === undefined ? '–' : Number(v).toLocaleString('en-US'); }
  function time(v) {
    if (!v) return '–';
    var d = new Date(v);
    return isNaN(d) ? String(v) : d.toISOString().replace('T', ' ').slice(0, 19);
  }
  function duration(s) {
    var d = Math.floor(s / 86400); var h = Math.floor(s % 86400 / 3600); var m = Math.floor(s % 3600 / 60);
    return d ? d + 'd ' + h + 'h' : h ? h + 'h ' + m + 'm' : m + 'm ' + (s % 60) + 's';
  }
  function schedule(s) {
    if (!s) return '–';
    return s.every ? 'every ' + s.every : s.cron ? s.cron + (s.zone ? ' (' + s.zone + ')' : '') : JSON.stringify(s);
  }

  function render(d) {
    var t = d.totals || {};
    setValue('total-nodes', t.nodes);
    setValue('total-connections', t.connections);
    setValue('total-published', t.published);
    setValue('total-delivered', t.delivered);
    $('total-latency').textContent = ms(t.fanoutP50Ms) + ' / ' + ms(t.fanoutP99Ms);
    $('total-lag').textContent = ms(t.maxLagMs);
    renderChart();
    renderNodes(d.nodes || []);
    renderApps(d.apps || []);
    renderJobs(d.jobs || []);
    renderOutbox(d.outbox || {});
    renderErrors(d.errors || {});
  }

  function setValue(id, v) {
    $(id).textContent = num(v);
    $(id).dataset.value = v === undefined || v === null ? '' : String(v);
  }

  function renderChart() {
    var end = state.lastSecond;
    var pub = [];
    var del = [];
    var max = 0;
    for (var s = end - SERIES + 1; s <= end; s++) {
      var v = state.series.get(s) || [0, 0];
      pub.push(v[0]);
      del.push(v[1]);
      max = Math.max(max, v[0], v[1]);
    }
    var top = niceMax(max);
    var W = 1000;
    var H = 220;
    function path(values) {
      var out = '';
      for (var i = 0; i < values.length; i++) {
        var x = (i / (SERIES - 1)) * W;
        var y = H - 4 - (values[i] / top) * (H - 12);
        out += (i ? 'L' : 'M') + x.toFixed(1) + ' ' + y.toFixed(1);
      }
      return out;
    }
    $('line-published').setAttribute('d', path(pub));
    $('line-delivered').setAttribute('d', path(del));
    var chart = $('chart');
    chart.dataset.max = String(max);
    chart.dataset.publishedSum = String(pub.reduce(function (a, b) { return a + b; }, 0));
    $('chart-max').textContent = 'scale: 0 – ' + num(top) + ' / s';
    var grid = $('chart-grid');
    var lines = [];
    for (var g = 1; g < 4; g++) {
      var line = document.createElementNS('http://www.w3.org/2000/svg', 'line');
      var y = H - 4 - (g / 4) * (H - 12);
      line.setAttribute('x1', '0'); line.setAttribute('x2', String(W));
      line.setAttribute('y1', y.toFixed(1)); line.setAttribute('y2', y.toFixed(1));
      lines.push(line);
    }
    grid.replaceChildren.apply(grid, lines);
  }

  function niceMax(v) {
    if (v <= 5) return 5;
    var p = Math.pow(10, Math.floor(Math.log10(v)));
    var steps = [1, 2, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * p >= v) return steps[i] * p;
    return 10 * p;
  }

  function renderNodes(nodes) {
    var rows = nodes.map(function (n) {
      var state_ = n.draining ? 'draining' : n.ready ? 'ready' : 'starting';
      var drain = button('Drain', function () {
        confirmThen('Drain node ' + n.node + '? Its ' + n.connections + ' connection(s) are closed with 1012 and reconnect to the other nodes; the node then exits, as on SIGTERM.',
          function () {
            return api('POST', '/nodes/' + encodeURIComponent(n.node) + '/drain').then(function () {
              return 'drain of ' + n.node + ' started';
            });
          });
      }, true);
      drain.dataset.node = n.node;
      drain.className += ' drain';
      if (n.draining) drain.disabled = true;
      var tr = row([n.node, n.address, n.mode, duration(n.uptimeSeconds || 0), num(n.connections),
        num(n.heapUsedMb) + ' / ' + num(n.heapMaxMb) + ' MB', ms(n.lagMs), num(n.published), num(n.delivered),
        ms(n.fanoutP50Ms), ms(n.fanoutP99Ms),
        state_ + (n.outboxRunner ? ' · outbox' : '') + (n.db === 'DOWN' ? ' · database down' : ''), drain], [4, 5, 6, 7, 8, 9, 10]);
      tr.dataset.node = n.node;
      tr.children[4].classList.add('connections');
      // by transport: event streams are the pages behind proxies that block WebSockets
      tr.children[4].title = Object.keys(n.transports || {}).map(function (k) { return k + ' ' + n.transports[k]; }).join(', ');
      if (n.draining) tr.classList.add('draining');
      return tr;
    });
    fill(document.querySelector('#nodes tbody'), rows);
    var select = $('conn-node');
    var chosen = select.value;
    var options = [el('option', 'all')];
    options[0].value = '';
    nodes.forEach(function (n) { var o = el('option', n.node); o.value = n.node; options.push(o); });
    select.replaceChildren.apply(select, options);
    select.value = nodes.some(function (n) { return n.node === chosen; }) ? chosen : '';
  }

  function renderApps(apps) {
    var blocks = apps.map(function (a) {
      var div = el('div', null, 'app');
      div.dataset.app = a.app;
      div.appendChild(el('h3', a.app + (a.name && a.name !== a.app ? ' · ' + a.name : '') + ' — ' + num(a.connections)
        + ' connection(s), ' + num(a.channelsInUse) + ' channel(s) in use, ' + a.rate + ' msg/s'));
      if (a.channels && a.channels.length) {
        var table = el('table');
        var head = el('thead');
        head.appendChild(row(['channel', 'subscribers', 'msg/s']));
        head.firstChild.children[1].className = 'n';
        head.firstChild.children[2].className = 'n';
        var body = el('tbody');
        a.channels.forEach(function (c) {
          var tr = row([c.channel, num(c.subscribers), c.rate], [1, 2]);
          tr.dataset.channel = c.channel;
          body.appendChild(tr);
        });
        table.appendChild(head);
        table.appendChild(body);
        div.appendChild(table);
      }
      if (a.channelOptions) div.appendChild(channelOptions(a.channelOptions));
      return div;
    });
    var box = $('apps');
    box.replaceChildren.apply(box, blocks);
  }

  /** apps.<id>.channels: each pattern with its options (first match wins), then what other channels get. */
  function channelOptions(o) {
    var table = el('table', null, 'options');
    var head = el('thead');
    head.appendChild(row(['channel pattern (first match wins)', 'options']));
    var body = el('tbody');
    o.channels.forEach(function (c) {
      var tr = row([c.pattern, optionText(c)]);
      tr.dataset.pattern = c.pattern;
      body.appendChild(tr);
    });
    var rest = row(['any other channel', optionText(o.defaults)]);
    rest.dataset.pattern = '';
    body.appendChild(rest);
    table.appendChild(head);
    table.appendChild(body);
    return table;
  }

  function optionText(o) {
    var parts = [];
    if (o.cache) parts.push('cache (last value on subscribe)');
    if (o.ephemeral) parts.push('ephemeral (no history)');
    if (o.history) {
      parts.push('history ' + (o.history.size != null ? o.history.size + ' messages' : 'default size')
        + (o.history.ttlSeconds != null ? ' / ' + o.history.ttlSeconds + ' s' : ''));
    }
    if (o.presence != null) parts.push(o.presence ? 'presence' : 'no presence');
    if (o.joinLeave != null) parts.push(o.joinLeave ? 'join/leave' : 'no join/leave');
    if (o.delta === 'fossil') parts.push('deltas (fossil)');
    return parts.join(', ');
  }

  function renderJobs(jobs) {
    $('jobs-empty').hidden = jobs.length > 0;
    fill(document.querySelector('#jobs tbody'), jobs.map(function (j) {
      var run = button('Run now', function () {
        confirmThen('Run job ' + j.name + ' now (on its runner node ' + (j.runner || '?') + ')?', function () {
          return api('POST', '/jobs/' + encodeURIComponent(j.name) + '/run').then(function (r) {
            return 'job ' + j.name + ' ran: ' + (r.lastOutcome || '?');
          });
        });
      });
      run.dataset.job = j.name;
      return row([j.name, j.app, j.channel, schedule(j.schedule), j.runner || '–', num(j.runs), time(j.lastRun),
        j.lastDurationMillis === null || j.lastDurationMillis === undefined ? '–' : j.lastDurationMillis + ' ms',
        j.lastOutcome || '–', j.lastError || '', time(j.nextRun), run], [5, 7]);
    }));
  }

  function renderOutbox(o) {
    var summary = $('outbox-summary');
    if (!o.enabled) {
      summary.textContent = 'No database configured: no outbox.';
      fill(document.querySelector('#dead tbody'), []);
      return;
    }
    summary.textContent = 'backlog: ' + num(o.backlog) + ' row(s) · dead: ' + num(o.dead) + ' row(s) · polled by: '
      + (o.runner || '–') + ' · database ' + (o.databaseUp ? 'up' : 'DOWN') + (o.error ? ' · ' + o.error : '');
    fill(document.querySelector('#dead tbody'), (o.deadRows || []).map(function (r) {
      var requeue = button('Requeue', function () {
        confirmThen('Requeue dead outbox row ' + r.id + ' (' + r.app + ', ' + r.channel + ')? It is moved back to pulse_outbox and published after the current backlog.',
          function () {
            return api('POST', '/outbox/dead/' + r.id + '/requeue').then(function () { return 'row ' + r.id + ' requeued'; });
          });
      });
      requeue.dataset.row = String(r.id);
      var tr = row([r.id, r.app, r.channel, r.reason, time(r.failedAt),
        (r.payloadPreview || '') + (r.payloadChars > 200 ? '… (' + r.payloadChars + ' chars)' : ''), requeue], [0]);
      tr.children[5].className = 'payload';
      return tr;
    }));
  }

  function renderErrors(e) {
    var pairs = function (obj) {
      return Object.keys(obj || {}).map(function (k) { return row([k, num(obj[k])], [1]); });
    };
    fill(document.querySelector('#errors-by-code tbody'), pairs(e.byCode));
    fill(document.querySelector('#closes-by-code tbody'), pairs(e.closes));
    $('slow-consumers').textContent = num(e.slowConsumers || 0);
    fill(document.querySelector('#recent tbody'), (e.recent || []).map(function (r) {
      var tr = row([time(r.at), r.node, r.kind, r.code, r.detail || '']);
      tr.children[4].className = 'detail';
      return tr;
    }));
  }

  function clearData() {
    state.series = new Map();
    state.last = null;
    ['#nodes tbody', '#jobs tbody', '#dead tbody', '#errors-by-code tbody', '#closes-by-code tbody', '#recent tbody',
      '#connections tbody'].forEach(function (sel) { fill(document.querySelector(sel), []); });
    $('apps').replaceChildren();
    ['total-nodes', 'total-connections', 'total-published', 'total-delivered'].forEach(function (id) { setValue(id, null); });
    $('outbox-summary').textContent = '';
    $('conn-summary').textContent = '';
    $('action-log').replaceChildren();
  }

  // ---------------------------------------------------------------- connections (on request)

  function listConnections() {
    var q = [];
    if ($('conn-node').value) q.push('node=' + encodeURIComponent($('conn-node').value));
    if ($('conn-app').value) q.push('app=' + encodeURIComponent($('conn-app').value));
    if ($('conn-user').value) q.push('user=' + encodeURIComponent($('conn-user').value));
    return api('GET', '/connections' + (q.length ? '?' + q.join('&') : '')).then(function (r) {
      $('conn-summary').textContent = num(r.total) + ' connection(s)' + (r.connections.length < r.total ? ', first ' + r.connections.length + ' shown' : '');
      fill(document.querySelector('#connections tbody'), r.connections.map(function (c) {
        var b = button('Disconnect', function () {
          confirmThen('Disconnect ' + c.id + (c.user ? ' (user ' + c.user + ')' : '') + '? It is closed with 1008 "disconnected by an operator".', function () {
            return api('POST', '/connections/' + encodeURIComponent(c.id) + '/disconnect').then(function (x) {
              listConnections();
              return 'disconnected ' + c.id + ' (' + x.closed + ')';
            });
          });
        }, true);
        b.dataset.connection = c.id;
        return row([c.id, c.node, c.admin ? '(console)' : c.app || '–', c.user || '–', c.transport || '–', num(c.channels),
          time(c.connectedAt), b], [5]);
      }));
    }).catch(function (err) { $('conn-summary').textContent = err.message; });
  }

  // ---------------------------------------------------------------- actions

  function confirmThen(text, action) {
    var dialog = $('confirm');
    $('confirm-text').textContent = text;
    dialog.returnValue = '';
    dialog.onclose = function () {
      dialog.onclose = null;
      if (dialog.returnValue !== 'ok') return;
      Promise.resolve().then(action).then(function (done) { logAction(done, false); }, function (err) {
        if (err && err.message !== 'signed out') logAction(err.message, true);
      });
    };
    dialog.showModal();
  }

  function logAction(text, failed) {
    var li = el('li', time(Date.now()) + '  ' + text, failed ? 'failed' : undefined);
    var log = $('action-log');
    log.insertBefore(li, log.firstChild);
    while (log.children.length > 20) log.removeChild(log.lastChild);
  }

  // ---------------------------------------------------------------- wiring

  $('login').addEventListener('submit', function (e) {
    e.preventDefault();
    var key = $('key').value;
    $('key').value = '';
    signIn(key, $('operator-name').value).catch(function (err) { $('login-error').textContent = err.message; });
  });
  $('logout').addEventListener('click', function () { signOut(''); });
  $('conn-filter').addEventListener('submit', function (e) { e.preventDefault(); listConnections(); });
  $('disconnect-user').addEventListener('click', function () {
    var app = $('conn-app').value;
    var user = $('conn-user').value;
    if (!app || !user) {
      logAction('name an app and a user to disconnect', true);
      return;
    }
    confirmThen('Disconnect every connection of user ' + user + ' of app ' + app + ', on every node?', function () {
      return api('POST', '/users/disconnect', { app: app, user: user }).then(function (r) {
        listConnections();
        return 'disconnected user ' + user + ' of app ' + app + ': ' + r.closed + ' connection(s)';
      });
    });
  });

  state.session = loadSession();
  if (state.session) start();
})();
