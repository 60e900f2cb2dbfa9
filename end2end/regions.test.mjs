// The new-project form's region list follows the chosen owner (an island) when hydrated; with
// JavaScript off it shows the first owner's regions and the server checks the pair.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MODES, startBerth, launchBrowser, openPage, visit, signUp, call } from './harness.mjs';

let berth;
let browser;

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-regions-'));
  const config = join(dir, 'berth.toml');
  writeFileSync(config, `
[[regions]]
name = "eu"
display_name = "Europe"
kcr_host = "kcr.eu.example.com"

[[regions]]
name = "us"
display_name = "United States"
kcr_host = "kcr.us.example.com"
`);
  berth = await startBerth(['--config', config]);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await berth?.stop();
});

const regions = (page) => page.getByLabel('Region').locator('option').evaluateAll(
  (options) => options.map((o) => o.value),
);

for (const mode of MODES) {
  test(`the region list follows the owner (${mode.name})`, async () => {
    const user = mode.js ? 'rita-js' : 'rita-plain';
    const org = `${user}-org`;
    const { context, page, errors } = await openPage(browser, mode, berth.url);
    await signUp(page, mode, user);
    await call(context, berth.url, 'create_org', { name: org, display_name: 'Rita Org' });
    await call(context, berth.url, 'set_org_regions', { org, 'regions[]': 'us' });

    await visit(page, mode, `/projects/new?owner=${org}`);
    assert.deepEqual(await regions(page), ['us']);
    await page.getByLabel('Owner').selectOption(user);
    if (mode.js) {
      await page.waitForFunction(() => document.querySelectorAll('select[name="region"] option').length === 2);
      assert.deepEqual(await regions(page), ['eu', 'us']);
    } else {
      // Without JavaScript the list stays; the server refuses a pair that does not fit.
      assert.deepEqual(await regions(page), ['us']);
    }
    assert.deepEqual(errors, [], `console errors:\n${errors.join('\n')}`);
    await context.close();
  });
}
