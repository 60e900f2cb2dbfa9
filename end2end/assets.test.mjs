// Assets in a real browser: a second visit to a page fetches none of its assets again (the
// bundle, the stylesheet and the icon come from the browser's cache, or at most as a 304).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MODES, startBerth, launchBrowser, openPage, visit, signUp } from './harness.mjs';

let berth;
let browser;

before(async () => {
  berth = await startBerth();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await berth?.stop();
});

/** Records how each asset request of `page` was answered: from cache, or with a status. */
async function watchAssets(context, page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const seen = new Map();
  const cached = new Set();
  cdp.on('Network.requestServedFromCache', (e) => cached.add(e.requestId));
  cdp.on('Network.responseReceived', (e) => {
    const { pathname } = new URL(e.response.url);
    if (!pathname.startsWith('/pkg/') && pathname !== '/favicon.svg') return;
    seen.set(e.requestId, {
      path: pathname,
      status: e.response.status,
      fromCache: e.response.fromDiskCache || e.response.fromPrefetchCache,
    });
  });
  return {
    reset() { seen.clear(); cached.clear(); },
    list() {
      return [...seen.entries()].map(([id, r]) => ({ ...r, fromCache: r.fromCache || cached.has(id) }));
    },
  };
}

for (const mode of MODES) {
  test(`a second visit fetches no asset again (${mode.name})`, async () => {
    const { context, page, errors } = await openPage(browser, mode, berth.url);
    await signUp(page, mode, mode.js ? 'ada-js' : 'ada-plain');
    const assets = await watchAssets(context, page);

    await visit(page, mode, '/account');
    const first = assets.list();
    assets.reset();
    await visit(page, mode, '/account');
    const second = assets.list();

    // The first visit names real assets: the stylesheet always, the bundle when hydrating.
    const paths = second.map((r) => r.path);
    assert.ok(paths.some((p) => /^\/pkg\/berth\.[0-9a-f]{16}\.css$/.test(p)), JSON.stringify(first));
    if (mode.js) {
      assert.ok(paths.some((p) => /^\/pkg\/berth\.[0-9a-f]{16}\.wasm$/.test(p)), JSON.stringify(second));
      assert.ok(paths.some((p) => /^\/pkg\/berth\.[0-9a-f]{16}\.js$/.test(p)), JSON.stringify(second));
    }
    for (const r of second) {
      assert.ok(r.fromCache || r.status === 304, `fetched again: ${JSON.stringify(r)}`);
    }
    assert.deepEqual(errors, []);
    await context.close();
  });
}
