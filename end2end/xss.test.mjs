// Stored markup in a real browser: a display name, an organization name, a project description,
// a credential's username and an invited email address, each carrying a script payload, are
// shown on their pages as text. No dialog opens, no injected element exists, and the
// Content-Security-Policy has nothing to block (no console report, nothing logged by the
// server). Run with JavaScript off and hydrated.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  MODES, startBerth, launchBrowser, openPage, visit, signUp, call,
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

const payload = (n) => `</title></textarea><img src=x onerror=alert(${n})>`;

/** Calls a server function as the page's session. */
for (const mode of MODES) {
  test(`stored markup stays text (${mode.name})`, async () => {
    const user = mode.js ? 'mallory-js' : 'mallory-plain';
    const { context, page, errors } = await openPage(browser, mode, berth.url);
    const dialogs = [];
    page.on('dialog', async (dialog) => {
      dialogs.push(dialog.message());
      await dialog.dismiss();
    });
    const blocked = [];
    page.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) blocked.push(msg.text());
    });

    await signUp(page, mode, user, payload(1));

    const org = `${user}-org`;
    await call(context, berth.url, 'create_org', { name: org, display_name: payload(2) });
    await call(context, berth.url, 'create_project', {
      owner: org, name: 'web', description: payload(3), region: 'local',
    });
    await call(context, berth.url, 'add_credential', {
      owner: org, name: 'web', registry: 'other', server: 'reg.example.com',
      username: `"><svg onload=alert(4)>`, password: 'pw',
    });
    await call(context, berth.url, 'invite_org_member', {
      org, login: `"><svg/onload=alert(5)>@example.com`, role: 'member',
    });

    const pages = [
      ['/', 'Home · Berth'],
      [`/orgs/${org}`, `${payload(2)} · Berth`],
      [`/orgs/${org}/members`, `Members · ${payload(2)} · Berth`],
      [`/orgs/${org}/audit`, `Audit log · ${payload(2)} · Berth`],
      [`/orgs/${org}/settings`, `Settings · ${payload(2)} · Berth`],
      [`/projects/${org}/web`, `${org}/web · Berth`],
      [`/projects/${org}/web/settings`, `Settings · ${org}/web · Berth`],
      [`/projects/${org}/web/credentials`, `Credentials · ${org}/web · Berth`],
      [`/projects/${org}/web/audit`, `Audit log · ${org}/web · Berth`],
    ];
    for (const [path, title] of pages) {
      await visit(page, mode, path);
      assert.equal(await page.title(), title, path);
      assert.equal(await page.locator('img, svg').count(), 0, `${path}: an injected element`);
    }
    // The payloads are on screen as text: the description in its form field, the names.
    await visit(page, mode, `/projects/${org}/web/settings`);
    assert.equal(await page.getByLabel('Description').inputValue(), payload(3));
    await visit(page, mode, `/projects/${org}/web`);
    await page.getByText(payload(3), { exact: true }).first().waitFor();
    await visit(page, mode, `/orgs/${org}/settings`);
    assert.equal(await page.getByLabel('Display name').inputValue(), payload(2));
    await visit(page, mode, `/orgs/${org}/members`);
    await page.getByRole('heading', { name: payload(2) }).waitFor();
    await page.getByText(`"><svg/onload=alert(5)>@example.com`).waitFor();

    assert.deepEqual(dialogs, [], 'a payload ran');
    assert.deepEqual(blocked, [], 'the policy had to block something');
    assert.doesNotMatch(berth.log(), /content security policy violation/);
    assert.deepEqual(errors, [], `console errors:\n${errors.join('\n')}`);
    await context.close();
  });
}
