// Registry credentials in a real browser: Docker Hub without a server, Google with a JSON key
// (a malformed key is refused next to the Password field and stores nothing), ECR refused with
// its reason, the Image field naming the credential a pull uses, delete behind a confirmation.
// Run with JavaScript off and hydrated.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  MODES, startBerth, launchBrowser, openPage, visit, signUp, createProject, sectionLink,
  seeProblem, focusedInView,
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

const KEY = JSON.stringify({
  type: 'service_account',
  client_email: 'ci@proj.iam.gserviceaccount.com',
  private_key: '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n',
});

async function addCredentials(page, { registry, server, username, password }) {
  const form = page.locator('form', { has: page.getByRole('button', { name: 'Add credentials' }) });
  await form.getByLabel('Registry').selectOption(registry);
  await form.getByLabel('Server').fill(server ?? '');
  await form.getByLabel('Username').fill(username ?? '');
  await form.getByLabel('Password', { exact: true }).fill(password);
  await form.getByRole('button', { name: 'Add credentials' }).click();
}

for (const mode of MODES) {
  test(`credentials: add, refuse, resolve, delete (${mode.name})`, async () => {
    const user = mode.js ? 'cora-js' : 'cora-plain';
    const { context, page, errors } = await openPage(browser, mode, berth.url);

    await signUp(page, mode, user);
    await createProject(context, berth.url, user, 'web');

    await visit(page, mode, `/projects/${user}/web`);
    await sectionLink(page, 'Project', 'Credentials').click();
    await page.getByRole('heading', { name: 'Registry credentials' }).waitFor();
    if (mode.js) await page.waitForSelector('body[data-hydrated="true"]');
    await page.getByText('No credentials yet').waitFor();

    // Docker Hub: no server needed.
    await addCredentials(page, { registry: 'docker_hub', username: 'cora', password: 'hub-token' });
    await page.getByRole('cell', { name: 'https://index.docker.io/v1/', exact: true }).waitFor();

    // A malformed Google key: its error sits next to the Password field; nothing is stored.
    await addCredentials(page, { registry: 'google', server: 'gcr.io', password: '{not json' });
    await seeProblem(page, 'it does not parse as JSON');
    const passwordField = page.getByLabel('Password', { exact: true });
    assert.equal(await passwordField.getAttribute('aria-invalid'), 'true');
    assert.equal(await page.locator('tbody tr').count(), 1);

    // A whole key is taken, with _json_key as the username.
    await addCredentials(page, { registry: 'google', server: 'gcr.io', password: KEY });
    const gcr = page.getByRole('row').filter({ hasText: 'gcr.io' }).filter({ hasText: '_json_key' });
    await gcr.waitFor();

    // ECR is refused with its reason.
    await addCredentials(page, {
      registry: 'other', server: '123456789012.dkr.ecr.us-east-1.amazonaws.com', password: 'x',
    });
    await seeProblem(page, 'expire within 12 hours');
    assert.equal(await page.locator('tbody tr').count(), 2);

    // The page never received a password.
    const html = await page.content();
    assert.ok(!html.includes('hub-token') && !html.includes('BEGIN PRIVATE KEY'));

    // Which credential will a pull use?
    await page.getByLabel('Image', { exact: true }).fill('gcr.io/proj/app:1.0');
    await page.getByRole('button', { name: 'Which credentials?' }).click();
    await page.getByRole('status').filter({ hasText: 'uses the credentials' }).filter({ hasText: '(gcr.io)' }).waitFor();
    await page.getByLabel('Image', { exact: true }).fill('nginx');
    await page.getByRole('button', { name: 'Which credentials?' }).click();
    await page.getByText('uses the credentials').filter({ hasText: 'docker.io/library/nginx' }).waitFor();

    // Edit: the form shows that a password is set, never the password; blank keeps it.
    await page.getByRole('row').filter({ hasText: 'index.docker.io' }).getByRole('button', { name: 'Edit' }).click();
    const edit = page.locator('form#edit');
    await edit.getByText('A password is set. Leave this blank to keep it.').waitFor();
    assert.equal(await edit.getByLabel('Password', { exact: true }).inputValue(), '');
    await edit.getByLabel('Username').fill('cora-ci');
    await edit.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('row').filter({ hasText: 'index.docker.io' }).filter({ hasText: 'cora-ci' }).waitFor();

    // The table fits its column at 1280 px, actions included; at 360 px rows are cards and
    // nothing scrolls sideways.
    const main = await page.locator('main').boundingBox();
    const lastAction = await page.getByRole('button', { name: 'Delete' }).first().boundingBox();
    assert.ok(lastAction.x + lastAction.width <= main.x + main.width, JSON.stringify({ main, lastAction }));
    await page.setViewportSize({ width: 360, height: 800 });
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 360);
    assert.equal(await page.locator('thead').evaluate((t) => getComputedStyle(t).position), 'absolute');
    // On a phone, Edit opens its form far below the list: it takes focus, in view.
    await page.setViewportSize({ width: 360, height: 740 });
    await page.getByRole('row').filter({ hasText: 'index.docker.io' }).getByRole('button', { name: 'Edit' }).click();
    const editHeading = page.getByRole('heading', { name: /^Edit credentials for/ });
    await editHeading.waitFor();
    assert.ok(await focusedInView(page, editHeading), 'the edit form is in view, focused');
    await page.setViewportSize({ width: 1280, height: 720 });

    // Delete, after a confirmation naming the server.
    await page.getByRole('row').filter({ hasText: '_json_key' }).getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('heading', { name: 'Delete the credentials for gcr.io?' }).waitFor();
    assert.ok(await focusedInView(page, page.getByRole('alertdialog')), 'the confirmation has focus');
    await page.getByRole('button', { name: 'Delete credentials' }).click();
    await page.getByRole('row').filter({ hasText: '_json_key' }).waitFor({ state: 'detached' });
    await page.getByRole('row').filter({ hasText: 'cora-ci' }).waitFor();
    assert.equal(await page.locator('tbody tr').count(), 1);

    assert.deepEqual(errors, [], `console errors:\n${errors.join('\n')}`);
    await context.close();
  });
}
