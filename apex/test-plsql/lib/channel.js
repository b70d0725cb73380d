'use strict';
// JavaScript copy of pulse_pkg.normalize_channel (apex/sql/pulse_pkg.pkb),
// with Oracle's TRANSLATE/REPLACE/SUBSTR semantics ('' is null), to test the
// translate-based check against the channel rule of ARCHITECTURE.md.

const SEGMENT_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:@-';
const MAX_LENGTH = 255;
const MAX_SEGMENTS = 16;

// TRANSLATE(s, from, to): a character found in `from` at position k becomes
// to[k], or is deleted when `to` is shorter; other characters stay.
function translate(s, from, to) {
  let out = '';
  for (const ch of s) {
    const k = from.indexOf(ch);
    if (k < 0) out += ch;
    else if (k < to.length) out += to[k];
  }
  return out;
}

class ChannelError extends Error {}

function normalizeChannel(channel) {
  let c = channel == null ? '' : String(channel);
  if (c.slice(0, 1) === '/') c = c.slice(1);
  if (c === '') throw new ChannelError('the name is empty');
  const bad = translate(c, `/${SEGMENT_CHARS}`, '/').split('/').join('');
  if (bad !== '') throw new ChannelError(`character "${bad[0]}" is not allowed`);
  if (c.length > MAX_LENGTH) throw new ChannelError('too long');
  if (c.startsWith('/') || c.endsWith('/') || c.includes('//')) throw new ChannelError('empty segment');
  if (c.length - c.split('/').join('').length + 1 > MAX_SEGMENTS) throw new ChannelError('too many segments');
  return c;
}

module.exports = { normalizeChannel, translate, ChannelError, SEGMENT_CHARS };
