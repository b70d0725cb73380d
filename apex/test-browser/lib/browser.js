'use strict';
// Debian's chromium (apt-get install chromium), driven by playwright-core: no browser download.
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { ROOT } = require('./gateway');

const EXECUTABLE = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SHOTS = path.join(ROOT, 'target', 'screenshots');

// NOTES.md: these flags; playwright adds --headless and a fresh temporary profile itself
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function launch() {
  if (!fs.existsSync(EXECUTABLE)) {
    throw new Error(`${EXECUTABLE} is missing: apt-get install -y chromium (.ci/run does it)`);
  }
  return chromium.launch({ executablePath: EXECUTABLE, headless: true, args: FLAGS, timeout: 60000 });
}

/**
 * A page in its own context (own cookies and sessionStorage: another "user"), collecting console
 * errors and uncaught exceptions so a test can assert there were none. `prepare(page)` runs before
 * the page loads (to watch its requests and socket frames from the start).
 */
async function openPage(browser, url, prepare) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  if (prepare) prepare(page);
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') page.errors.push(`console: ${m.text()} (${(m.location() && m.location().url) || ''})`);
  });
  await page.goto(url);
  return page;
}

async function screenshot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

module.exports = { launch, openPage, screenshot, SHOTS };
