'use strict';
// A line-by-line JavaScript copy of auth_pkg (apex/sql/auth_pkg.pkb): the same
// text operations in the same order, so that the token it computes is the one
// the database computes for the same inputs. See the TOKEN FORMAT section of
// apex/sql/auth_pkg.pks.

const crypto = require('node:crypto');

const HEADER = '{"alg":"HS256","typ":"JWT"}';
const HEX = '0123456789abcdef';
const TRIM_CHARS = ' \t\n\r';
const B64_CHUNK = 12000; // c_b64_chunk

// Oracle: '' is null.
const isNull = (v) => v === null || v === undefined || v === '';

// auth_pkg.json_string
function jsonString(value) {
  let out = isNull(value) ? '' : String(value);
  out = out.split('\\').join('\\\\');
  out = out.split('"').join('\\"');
  out = out.split('\b').join('\\b');
  out = out.split('\f').join('\\f');
  out = out.split('\n').join('\\n');
  out = out.split('\r').join('\\r');
  out = out.split('\t').join('\\t');
  for (let i = 0; i <= 31; i++) {
    if (![8, 9, 10, 12, 13].includes(i)) {
      out = out.split(String.fromCharCode(i)).join(`\\u00${HEX[Math.trunc(i / 16)]}${HEX[i % 16]}`);
    }
  }
  return `"${out}"`;
}

// ltrim/rtrim with a character set
function trimSet(s, set) {
  let a = 0;
  let b = s.length;
  while (a < b && set.includes(s[a])) a++;
  while (b > a && set.includes(s[b - 1])) b--;
  return s.slice(a, b);
}

// auth_pkg.json_string_array
function jsonStringArray(csv) {
  if (isNull(csv)) return '[]';
  const items = String(csv)
    .split(',')
    .map((item) => trimSet(item, TRIM_CHARS))
    .filter((item) => !isNull(item));
  return `[${items.map(jsonString).join(',')}]`;
}

// utl_encode.base64_encode: standard base64 in lines of 64 characters
// separated by CR LF (as the database returns it)
function utlEncodeBase64(buf) {
  const b64 = buf.toString('base64');
  const lines = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return lines.join('\r\n');
}

// auth_pkg.base64url_encode
function base64urlEncode(buf) {
  let out = '';
  for (let pos = 0; pos < buf.length; pos += B64_CHUNK) {
    out += utlEncodeBase64(buf.subarray(pos, pos + B64_CHUNK)).split('\r').join('').split('\n').join('');
  }
  return out.replace(/[+/]/g, (c) => (c === '+' ? '-' : '_')).replace(/=+$/, '');
}

// auth_pkg.build_payload
function buildPayload({ appId, user, iat, exp, subCh = null, pubCh = null, name = null, trigCh = null }) {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(appId || '')) throw new Error(`invalid app id ${appId}`);
  if (isNull(user)) throw new Error('user required');
  if (!Number.isInteger(iat) || !Number.isInteger(exp)) throw new Error('iat/exp must be integers');
  let json = `{"sub":${jsonString(user)},"app":${jsonString(appId)},"iat":${iat},"exp":${exp}`;
  if (!isNull(name)) json += `,"name":${jsonString(name)}`;
  if (!isNull(subCh)) json += `,"sub_ch":${jsonStringArray(subCh)}`;
  if (!isNull(pubCh)) json += `,"pub_ch":${jsonStringArray(pubCh)}`;
  if (!isNull(trigCh)) json += `,"trig":${jsonStringArray(trigCh)}`;
  return `${json}}`;
}

// auth_pkg.sign_payload (utl_i18n.string_to_raw(x, 'AL32UTF8') = UTF-8 bytes)
function signPayload(payload, secret) {
  if (isNull(secret)) throw new Error('secret required');
  const signingInput = `${base64urlEncode(Buffer.from(HEADER, 'utf8'))}.${base64urlEncode(Buffer.from(payload, 'utf8'))}`;
  const mac = crypto.createHmac('sha256', Buffer.from(secret, 'utf8')).update(Buffer.from(signingInput, 'utf8')).digest();
  return { signingInput, signature: base64urlEncode(mac), token: `${signingInput}.${base64urlEncode(mac)}` };
}

// auth_pkg.generate_token(..., p_secret => ..., p_iat => ..., p_trig_ch => ...)
function generateToken({ appId, user, subCh = null, pubCh = null, ttlSeconds = 3600, name = null, secret, iat, trigCh = null }) {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) throw new Error('ttl must be positive');
  if (ttlSeconds > 2147483647) throw new Error('p_ttl_seconds is a pls_integer (max 2147483647)');
  const payload = buildPayload({ appId, user, iat, exp: iat + ttlSeconds, subCh, pubCh, name, trigCh });
  return { payload, ...signPayload(payload, secret) };
}

module.exports = {
  HEADER, jsonString, jsonStringArray, utlEncodeBase64, base64urlEncode, buildPayload, signPayload, generateToken,
};
