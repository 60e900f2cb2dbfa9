// Personal access tokens in a real browser: make one (shown once, copied with the Copy button
// when JavaScript runs, read off the page without it), call a server function with it as a CLI
// would, revoke it, and the same call fails. Run with JavaScript off and hydrated.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'playwright-core';
import { MODES, startBerth, launchBrowser, openPage, visit, signUp, seeProblem, focusedInView } from './harness.mjs';

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

/** Calls `whoami` with `token` from outside any browser session, as a CLI does. */
async function whoami(token) {
  const cli = await request.newContext();
  try {
    const res = await cli.get(`${berth.url}/api/whoami`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
    });
    return { status: res.status(), body: await res.json() };
  } finally {
    await cli.dispose();
  }
}

for (const mode of MODES) {
  test(`tokens: create, copy, use, revoke (${mode.name})`, async () => {
    const user = mode.js ? 'tess-js' : 'tess-plain';
    const { context, page, errors } = await openPage(browser, mode, berth.url);
    if (mode.js) {
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: berth.url });
    }

    await signUp(page, mode, user);
    await visit(page, mode, '/account');
    await page.getByRole('link', { name: 'Access tokens' }).click();
    await page.getByRole('heading', { name: 'Access tokens', level: 1 }).waitFor();
    if (mode.js) await page.waitForSelector('body[data-hydrated="true"]');
    await page.getByText('No tokens yet').waitFor();

    // A refused form says why next to the field and makes nothing.
    await page.getByLabel('Token name').fill('laptop');
    await page.getByRole('button', { name: 'Create token' }).click();
    await seeProblem(page, 'Choose at least one scope.');
    await page.getByText('No tokens yet').waitFor();

    await page.getByLabel('Token name').fill('laptop');
    await page.getByLabel(/^projects:read/).check();
    await page.getByLabel('Expires').selectOption('30');
    await page.getByRole('button', { name: 'Create token' }).click();
    const notice = page.getByRole('status').filter({ hasText: 'Berth shows it only this once' });
    await notice.waitFor();
    const shown = (await page.locator('#new-token').textContent()).trim();
    assert.match(shown, /^berth_pat_[0-9A-Za-z]{36}$/);

    let token = shown;
    if (mode.js) {
      await notice.getByRole('button', { name: 'Copy' }).click();
      token = await page.evaluate(() => navigator.clipboard.readText());
      assert.equal(token, shown, 'the Copy button copies exactly the token');
    } else {
      assert.equal(await page.getByRole('button', { name: 'Copy' }).count(), 0);
    }
    const row = page.getByRole('row').filter({ hasText: 'laptop' });
    await row.getByRole('cell', { name: 'projects:read', exact: true }).waitFor();

    const before = await whoami(token);
    assert.equal(before.status, 200);
    assert.equal(before.body.username, user);
    assert.equal(before.body.token_name, 'laptop');
    assert.deepEqual(before.body.scopes, ['projects:read']);

    // Shown once: a reload lists the token, not its text, and records its use.
    await visit(page, mode, '/account/tokens');
    await row.waitFor();
    assert.equal(await page.locator('#new-token').count(), 0);
    assert.ok(!(await page.content()).includes(token), 'the token is not on the page again');
    await row.getByText('from 127.0.0.1').waitFor();

    // Revoking asks first: the confirmation opens focused, and Cancel keeps the token.
    await row.getByRole('button', { name: 'Revoke token laptop' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Revoke token laptop?' });
    await confirm.waitFor();
    assert.ok(await focusedInView(page, confirm), 'the confirmation has focus');
    await confirm.getByRole('link', { name: 'Cancel' }).click();
    await row.waitFor();
    assert.equal((await whoami(token)).status, 200, 'Cancel revokes nothing');
    await row.getByRole('button', { name: 'Revoke token laptop' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Revoke token' }).click();
    await page.getByText('No tokens yet').waitFor();
    const after = await whoami(token);
    assert.equal(after.status, 401);
    assert.match(after.body.detail, /not valid/);
    assert.deepEqual(errors, []);
    await context.close();
  });
}
