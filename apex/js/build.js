'use strict';
// Writes pulse.min.js from pulse.js with terser (npm run build). The banner records the
// SHA-256 of the source it was built from; test/build.test.js fails when pulse.js changed
// without a rebuild, so the committed minified file cannot silently go stale.
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { minify } = require('terser');

async function main() {
  const srcPath = path.join(__dirname, 'pulse.js');
  const source = fs.readFileSync(srcPath, 'utf8');
  const sha = crypto.createHash('sha256').update(source).digest('hex');
  const version = /var VERSION = '([^']+)'/.exec(source)[1];
  const result = await minify({ 'pulse.js': source }, {
    ecma: 2017, // keep the output within the language level of the source
    compress: { passes: 2 },
    mangle: true,
    format: {
      comments: false,
      preamble: `/*! apex-pulse client ${version} | protocol v1 | built from pulse.js sha256:${sha} */`,
    },
  });
  fs.writeFileSync(path.join(__dirname, 'pulse.min.js'), result.code + '\n');
  console.log(`pulse.min.js: ${Buffer.byteLength(result.code)} bytes (source ${Buffer.byteLength(source)} bytes)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
