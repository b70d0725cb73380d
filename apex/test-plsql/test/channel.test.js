'use strict';
// pulse_pkg.normalize_channel (copied in lib/channel.js) against the channel
// rule of ARCHITECTURE.md: segments [A-Za-z0-9_.:@-]+ joined by '/', at most
// 255 characters and 16 segments, one leading '/' dropped.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { normalizeChannel, translate, SEGMENT_CHARS } = require('../lib/channel');

const RULE = /^[A-Za-z0-9_.:@-]+(\/[A-Za-z0-9_.:@-]+)*$/;
function byRule(channel) {
  const c = channel.startsWith('/') ? channel.slice(1) : channel;
  if (!RULE.test(c) || c.length > 255 || c.split('/').length > 16) return null;
  return c;
}
function byPlsql(channel) {
  try { return normalizeChannel(channel); } catch { return null; }
}

test('translate keeps mapped characters and deletes the rest of the from-list', () => {
  assert.equal(translate('a/b$c', `/${SEGMENT_CHARS}`, '/'), '/$');
  assert.equal(translate('chat/room/7', `/${SEGMENT_CHARS}`, '/'), '//');
});

test('examples', () => {
  assert.equal(normalizeChannel('/dashboard/department/3'), 'dashboard/department/3');
  assert.equal(normalizeChannel('user/scott@example.com'), 'user/scott@example.com');
  assert.equal(normalizeChannel('a:b/c.d/e-f/g_h'), 'a:b/c.d/e-f/g_h');
  for (const bad of ['', '/', '//x', 'x/', 'a//b', 'a b', 'chat/*', 'chat/**', 'user/{sub}', 'ä', 'a\nb',
    'x'.repeat(256), Array(17).fill('s').join('/')]) {
    assert.throws(() => normalizeChannel(bad), undefined, JSON.stringify(bad));
  }
  assert.equal(normalizeChannel('x'.repeat(255)).length, 255);
  assert.equal(normalizeChannel(`/${'x'.repeat(255)}`).length, 255);
  assert.equal(normalizeChannel(Array(16).fill('s').join('/')).split('/').length, 16);
});

test('agrees with the architecture rule on random names', () => {
  const alphabet = `${SEGMENT_CHARS}////  *{}#ä\t`;
  let seed = 42;
  const rnd = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  for (let i = 0; i < 20000; i++) {
    const len = rnd(3) === 0 ? 240 + rnd(30) : rnd(12);
    let s = '';
    for (let k = 0; k < len; k++) s += alphabet[rnd(alphabet.length)];
    assert.equal(byPlsql(s), byRule(s), JSON.stringify(s));
  }
});

test('pulse_pkg.pkb uses the same character list and limits', () => {
  const body = fs.readFileSync(path.resolve(__dirname, '..', '..', 'sql', 'pulse_pkg.pkb'), 'utf8');
  const spec = fs.readFileSync(path.resolve(__dirname, '..', '..', 'sql', 'pulse_pkg.pks'), 'utf8');
  assert.ok(body.includes(`'${SEGMENT_CHARS}'`));
  assert.match(body, /translate\(l_channel, '\/' \|\| c_segment_chars, '\/'\)/);
  assert.match(spec, /c_max_channel_length constant pls_integer := 255;/);
  assert.match(spec, /c_max_segments\s+constant pls_integer := 16;/);
});
