// Organizations and projects in a real browser: create an organization → create a project in a
// region → add a member as viewer → the viewer signs in, sees the project read-only and cannot
// add members. Run with JavaScript off and hydrated.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MODES, startBerth, launchBrowser, openPage, visit } from './harness.mjs';

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

const PASSWORD = 'a password that is long enough';

async function signUp(page, mode, username) {
  await visit(page, mode, '/signup');
  await page.getByLabel('Email').fill(`${username}@example.com`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Display name').fill(`User ${username}`);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: `Hello, User ${username}` }).waitFor();
}

/** The form that holds the button called `name`. */
function formWith(page, name) {
  return page.locator('form', { has: page.getByRole('button', { name }) });
}

for (const mode of MODES) {
  test(`organization → project → read-only viewer (${mode.name})`, async () => {
    const suffix = mode.js ? 'js' : 'plain';
    const org = `acme-${suffix}`;
    const viewerName = `vic-${suffix}`;

    // The future viewer has an account.
    const viewer = await openPage(browser, mode, berth.url);
    await signUp(viewer.page, mode, viewerName);

    const owner = await openPage(browser, mode, berth.url);
    const { page } = owner;
    await signUp(page, mode, `olga-${suffix}`);

    // Create the organization.
    await visit(page, mode, '/orgs/new');
    await page.getByLabel('Organization name').fill(org);
    await page.getByLabel('Display name').fill(`Acme (${suffix})`);
    await page.getByRole('button', { name: 'Create organization' }).click();
    await page.getByRole('heading', { name: `Acme (${suffix})` }).waitFor();
    assert.match(page.url(), new RegExp(`/orgs/${org}$`));

    // Add the viewer to the organization as a member.
    const addToOrg = formWith(page, 'Add member');
    await addToOrg.getByLabel('Username or email').fill(`${viewerName}@example.com`);
    await addToOrg.getByLabel('Role').selectOption('member');
    await addToOrg.getByRole('button', { name: 'Add member' }).click();
    await page.getByRole('cell', { name: viewerName, exact: true }).waitFor();

    // A project name that breaks the rules is explained next to its field.
    await page.getByRole('link', { name: 'New project' }).click();
    await page.getByLabel('Project name').waitFor();
    if (mode.js) await page.waitForSelector('body[data-hydrated="true"]');
    assert.equal(await page.getByLabel('Owner').inputValue(), org);
    await page.getByLabel('Project name').fill('Web_Shop');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByText('Use lowercase letters only.').waitFor();

    // Create the project in a region.
    await page.getByLabel('Owner').selectOption(org);
    await page.getByLabel('Project name').fill('web');
    await page.getByLabel('Description').fill('The web shop');
    await page.getByLabel('Region').selectOption('local');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByRole('heading', { name: `${org}/web` }).waitFor();
    await page.getByText('Local (local), KCR host localhost:5000').waitFor();

    // Add the viewer to the project.
    const addToProject = formWith(page, 'Add member');
    await addToProject.getByLabel('Username or email').fill(viewerName);
    await addToProject.getByLabel('Role').selectOption('viewer');
    await addToProject.getByRole('button', { name: 'Add member' }).click();
    await page.getByRole('cell', { name: viewerName, exact: true }).waitFor();

    // The viewer sees the project, read-only.
    await visit(viewer.page, mode, `/projects/${org}/web`);
    await viewer.page.getByRole('heading', { name: `${org}/web` }).waitFor();
    await viewer.page.getByText('You have the viewer role').waitFor();
    assert.equal(await viewer.page.getByRole('button', { name: 'Add member' }).count(), 0);
    assert.equal(await viewer.page.getByRole('button', { name: 'Delete project' }).count(), 0);
    // ... and the server refuses even a hand-made request.
    const res = await viewer.context.request.post(`${berth.url}/api/add_project_member`, {
      form: { owner: org, name: 'web', login: `olga-${suffix}`, role: 'admin' },
      headers: { accept: 'application/json', origin: berth.url },
    });
    assert.equal(res.status(), 403);
    assert.match(await res.text(), /needs the admin role/);

    // The project is in the viewer's list, and nowhere for someone outside.
    await visit(viewer.page, mode, '/projects');
    await viewer.page.getByRole('link', { name: 'web' }).waitFor();

    // Forms went through fetch when hydrated, and as plain page posts without JavaScript.
    const kinds = new Set(owner.submissions.map((s) => s.type));
    assert.deepEqual([...kinds], [mode.js ? 'fetch' : 'document'], JSON.stringify(owner.submissions));
    assert.ok(owner.submissions.length >= 5, JSON.stringify(owner.submissions));

    for (const { context, errors } of [owner, viewer]) {
      assert.deepEqual(errors, [], `console errors:\n${errors.join('\n')}`);
      await context.close();
    }
  });
}
