'use strict';
// Debian's chromium (apt-get install chromium), driven by playwright-core: no browser download.
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { ROOT } = require('./gateways');

const EXECUTABLE = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SHOTS = path.join(ROOT, 'target', 'screenshots');
// shared/NOTES.md: these flags; playwright adds --headless and a fresh temporary profile itself
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function launch() {
  if (!fs.existsSync(EXECUTABLE)) throw new Error(`${EXECUTABLE} is missing: apt-get install -y chromium (.ci/run does it)`);
  return chromium.launch({ executablePath: EXECUTABLE, headless: true, args: FLAGS, timeout: 60000 });
}

/** A page in its own context (own sessionStorage), collecting page errors and the URLs it requested. */
async function openPage(browser, url) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  page.errors = [];
  page.requests = [];
  page.on('pageerror', (e) => page.errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') page.errors.push(`console: ${m.text()}`); });
  page.on('request', (r) => page.requests.push(r.url()));
  page.on('websocket', (ws) => page.requests.push(ws.url()));
  await page.goto(url);
  return page;
}

async function screenshot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, `console-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Signs in through the form. */
async function signIn(page, key, operator = 'browser-test') {
  await page.fill('#key', key);
  await page.fill('#operator-name', operator);
  await page.click('#login button[type=submit]');
}

/** The number the page shows in a card (its data-value), or null. */
async function card(page, id) {
  const v = await page.getAttribute(`#${id}`, 'data-value');
  return v === null || v === '' ? null : Number(v);
}

module.exports = { launch, openPage, screenshot, signIn, card, SHOTS };
