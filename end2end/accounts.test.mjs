// Accounts in a real browser: sign up → sign out → sign in → change password → the old
// password is refused, the new one works. Run with JavaScript off and hydrated.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MODES, startBerth, launchBrowser, openPage, visit, seeMessage, seeProblem } from './harness.mjs';

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

const OLD = 'first password, long enough';
const NEW = 'second password, also long';

async function signIn(page, login, password) {
  await page.getByLabel('Email or username').fill(login);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

for (const mode of MODES) {
  test(`account lifecycle (${mode.name})`, async () => {
    const { context, page, errors, submissions } = await openPage(browser, mode, berth.url);
    const username = mode.js ? 'hydra' : 'plain';

    // A bad username is shown next to its field and nothing is created.
    await visit(page, mode, '/signup');
    await page.getByLabel('Email').fill(`${username}@example.com`);
    await page.getByLabel('Username').fill('Not Valid');
    await page.getByLabel('Display name').fill(`Tester ${username}`);
    await page.getByLabel('Password', { exact: true }).fill(OLD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await seeProblem(page, 'Use lowercase letters only.');
    assert.equal(await page.getByLabel('Username').getAttribute('aria-invalid'), 'true');

    // Sign up.
    // The form comes back with what was typed, except the password.
    assert.equal(await page.getByLabel('Email').inputValue(), `${username}@example.com`);
    assert.equal(await page.getByLabel('Display name').inputValue(), `Tester ${username}`);
    assert.equal(await page.getByLabel('Username').inputValue(), 'Not Valid');
    assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), '');
    await page.getByLabel('Password', { exact: true }).fill(OLD);
    await page.getByLabel('Username').fill(username);
    await page.getByRole('button', { name: 'Create account' }).click();
    await seeMessage(page, 'status', 'Welcome to Berth!');
    await page.getByRole('heading', { name: `Hello, Tester ${username}` }).waitFor();
    await page.getByRole('link', { name: new RegExp(`Tester ${username}`) }).waitFor();

    // Sign out.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await seeMessage(page, 'status', 'You have signed out.');
    assert.match(page.url(), /\/login/);

    // Sign in.
    await signIn(page, username, OLD);
    await page.getByRole('heading', { name: `Hello, Tester ${username}` }).waitFor();

    // Change password.
    await visit(page, mode, '/account');
    await page.getByLabel('Current password').fill(OLD);
    await page.getByLabel('New password').fill(NEW);
    await page.getByRole('button', { name: 'Change password' }).click();
    await seeMessage(page, 'status', 'Password changed.');

    // The old password is refused, the new one works.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await seeMessage(page, 'status', 'You have signed out.');
    await signIn(page, `${username}@example.com`, OLD);
    await seeMessage(page, 'alert', 'That email, username or password is not right.');
    assert.match(page.url(), /\/login/);
    await page.getByLabel('Email or username').waitFor();
    await signIn(page, username, NEW);
    await page.getByRole('heading', { name: `Hello, Tester ${username}` }).waitFor();

    // Forms are plain page posts in both modes: pages are server-rendered, only islands hydrate.
    const kinds = new Set(submissions.map((s) => s.type));
    assert.deepEqual([...kinds], ['document'], JSON.stringify(submissions));
    assert.deepEqual(errors, [], `console errors:\n${errors.join('\n')}`);
    await context.close();
  });
}

test('an anonymous visit to /account asks to sign in first, then returns', async () => {
  const mode = MODES[0];
  const { context, page } = await openPage(browser, mode, berth.url);
  await visit(page, mode, '/account');
  assert.match(page.url(), /\/login\?next=\/account$/);
  await context.close();
});
