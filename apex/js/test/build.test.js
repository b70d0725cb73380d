'use strict';
// Checks on the shipped files themselves: language level, the browser global, and that the
// committed pulse.min.js was built from the current pulse.js.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const crypto = require('node:crypto');

const dir = path.join(__dirname, '..');
const read = (f) => fs.readFileSync(path.join(dir, f), 'utf8');

function optional(name) {
  try {
    return require(name);
  } catch (e) {
    return null;
  }
}
const acorn = optional('acorn');

for (const file of ['pulse.js', 'pulse.min.js']) {
  test(`${file} parses as ES2017 (no newer syntax)`, { skip: !acorn && 'acorn not installed (npm install)' }, () => {
    acorn.parse(read(file), { ecmaVersion: 2017, sourceType: 'script' });
  });

  test(`${file} in a browser-like context sets window.pulse`, () => {
    const window = {};
    const context = vm.createContext({ window, setTimeout, clearTimeout, Date, Math, Promise, console });
    vm.runInContext(read(file), context);
    assert.equal(typeof window.pulse.connect, 'function');
    assert.equal(typeof window.pulse.apex.refreshRegionOn, 'function');
    assert.equal(window.pulse.version, require(path.join(dir, 'package.json')).version);
  });
}

test('pulse.min.js was built from the current pulse.js (run npm run build)', () => {
  const sha = crypto.createHash('sha256').update(read('pulse.js')).digest('hex');
  const banner = read('pulse.min.js').split('\n', 1)[0];
  assert.match(banner, new RegExp(`sha256:${sha}`), 'pulse.min.js is stale: run `npm run build` in apex/js');
});

test('pulse.min.js exposes the same API as pulse.js', () => {
  const full = require(path.join(dir, 'pulse.js'));
  const min = require(path.join(dir, 'pulse.min.js'));
  const shape = (o) => Object.keys(o).sort().map((k) => [k, typeof o[k]]);
  assert.deepEqual(shape(min), shape(full));
  assert.deepEqual(shape(min.apex), shape(full.apex));
  assert.deepEqual(shape(min._internal), shape(full._internal));
  const proto = (C) => Object.getOwnPropertyNames(C.prototype).sort();
  assert.deepEqual(proto(min.PulseClient), proto(full.PulseClient));
});
