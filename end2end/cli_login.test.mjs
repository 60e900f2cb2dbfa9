// The berth CLI's device login approved in a real browser, and the console's pull-secret
// download (confirm step, the file, "last exported", the warning before a delete). Run with
// JavaScript off and hydrated.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import {
  MODES, startBerth, launchBrowser, openPage, visit, signUp, call, createProject,
} from './harness.mjs';

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

/** Starts `berth login` in a fresh HOME; resolves with the process, its HOME and the code. */
async function startLogin() {
  const home = mkdtempSync(join(tmpdir(), 'berth-cli-'));
  const env = { ...process.env, HOME: home };
  for (const key of Object.keys(env)) {
    if (key.startsWith('BERTH_') || key.startsWith('XDG_')) delete env[key];
  }
  const child = spawn(process.env.BERTH_BIN ?? 'target/debug/berth', ['login', '--url', berth.url], {
    env, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  const code = await new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk) => {
      err += chunk;
      const match = err.match(/^\s+([B-Z]{4}-[B-Z]{4})$/m);
      if (match && err.includes('Waiting for approval')) resolve(match[1]);
    });
    child.on('exit', (status) => reject(new Error(`berth login exited (${status}):\n${err}`)));
  });
  return { child, home, code, stderr: () => err };
}

for (const mode of MODES) {
  test(`berth login: the device is approved at /activate (${mode.name})`, async () => {
    const user = mode.js ? 'dev-js' : 'dev-plain';
    const { page, errors } = await openPage(browser, mode, berth.url);
    await signUp(page, mode, user);
    const login = await startLogin();

    // A wrong code is refused with a reason; the right one shows the device and its scopes.
    await visit(page, mode, '/activate');
    await page.getByLabel('Code').fill('BCDF-BCDF');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('alert').filter({ hasText: 'no waiting device login' }).waitFor();
    await page.getByLabel('Code').fill(login.code.toLowerCase());
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText(/^berth CLI on /).first().waitFor();
    await page.getByText('registry:push').waitFor();
    if (mode.js) await page.waitForSelector('body[data-hydrated="true"]');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('status').filter({ hasText: 'Device approved' }).waitFor();

    const [status] = await once(login.child, 'exit');
    assert.equal(status, 0, login.stderr());
    const config = readFileSync(join(login.home, '.config/berth/config.toml'), 'utf8');
    assert.match(config, /token = "berth_pat_/);
    assert.match(config, new RegExp(`username = "${user}"`));

    // The token is in the person's list, named after the device.
    await visit(page, mode, '/account/tokens');
    await page.getByRole('row').filter({ hasText: 'berth CLI on' }).waitFor();
    assert.deepEqual(errors, []);
  });

  test(`pull secret: confirm, download, last exported, warned delete (${mode.name})`, async () => {
    const user = mode.js ? 'ops-js' : 'ops-plain';
    const { context, page, errors } = await openPage(browser, mode, berth.url);
    await signUp(page, mode, user);
    await createProject(context, berth.url, user, 'web');
    await call(context, berth.url, 'add_credential', {
      owner: user, name: 'web', registry: 'other', server: 'ghcr.io',
      username: 'octo', email: '', password: 'hunter2',
    });

    await visit(page, mode, `/projects/${user}/web/credentials`);
    await page.getByRole('cell', { name: 'never' }).waitFor();
    await page.getByRole('link', { name: 'Download pull secret' }).click();
    await page.getByRole('heading', { name: 'Download pull secret' }).waitFor();
    assert.equal(await page.getByText('hunter2').count(), 0, 'the confirm page has no password');
    await page.getByLabel('Format').selectOption('dockerconfigjson');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download pull secret' }).click(),
    ]);
    assert.equal(download.suggestedFilename(), `${user}-web-pull.json`);
    const file = JSON.parse(readFileSync(await download.path(), 'utf8'));
    assert.equal(file.auths['ghcr.io'].password, 'hunter2');
    assert.ok(Object.keys(file.auths).some((k) => k.startsWith('localhost')), 'a KCR login too');

    await visit(page, mode, `/projects/${user}/web/credentials`);
    const row = page.getByRole('row').filter({ hasText: 'ghcr.io' });
    await row.getByRole('cell').filter({ hasText: `by ${user}` }).nth(2).waitFor();
    await row.getByRole('button', { name: 'Delete' }).click();
    await page.getByText('went out in a pull secret').waitFor();
    assert.deepEqual(errors, []);
  });
}
