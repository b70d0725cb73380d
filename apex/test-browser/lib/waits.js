'use strict';
// Small helpers over playwright pages of the demo.

/** Waits until the page's client got a welcome on its current socket. */
async function online(page, timeout = 15000) {
  await page.waitForFunction(() => window.demoState && window.demoState.status === 'online', null, { timeout });
}

/** The chat messages on the page, in display order: [{text, from, key}]. */
function chat(page) {
  return page.$$eval('#messages li:not(.divider)', (lis) => lis.map((li) => ({
    text: li.dataset.text, from: li.dataset.from, key: li.dataset.key,
  })));
}

/** Waits until every text is shown in the chat at least once. */
async function chatShows(page, texts, timeout = 10000) {
  await page.waitForFunction((want) => {
    const have = new Set([...document.querySelectorAll('#messages li')].map((li) => li.dataset.text));
    return want.every((t) => have.has(t));
  }, texts, { timeout, polling: 50 });
}

/** How often each text appears in the chat. */
async function chatCounts(page, texts) {
  const shown = await chat(page);
  const counts = {};
  for (const t of texts) counts[t] = shown.filter((m) => m.text === t).length;
  return counts;
}

/** Page errors and console errors, minus the expected ones (matching any of `allowed`). */
function unexpectedErrors(page, allowed = []) {
  return page.errors.filter((e) => !allowed.some((re) => re.test(e)));
}

module.exports = { online, chat, chatShows, chatCounts, unexpectedErrors };
