// Organizations and projects in a real browser: create an organization → invite a member by
// email → they accept on their home page → create a project in a region → invite them as a
// viewer → they accept and see the project read-only, unable to invite anyone. Run with
// JavaScript off and hydrated.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  MODES, startBerth, launchBrowser, openPage, visit, signUp, sectionLink,
  seeProblem,
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


/** On the home page, accepts the invitation to `target` (after the header announced it). */
async function acceptInvitation(page, mode, target) {
  await visit(page, mode, '/');
  await page.getByRole('link', { name: /Invitations\s*1/ }).waitFor();
  await page.getByRole('button', { name: `Accept the invitation to ${target}` }).click();
}

/** The home page announces an email invitation without an Accept button; its link accepts. */
async function acceptByLink(page, mode, link) {
  await visit(page, mode, '/');
  await page.getByRole('link', { name: /Invitations\s*1/ }).waitFor();
  await page.getByText('Answer it through the link you were sent.').waitFor();
  await visit(page, mode, link);
  await page.getByText(/invites you to join the organization/).waitFor();
  await page.getByRole('button', { name: 'Accept', exact: true }).click();
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
    await signUp(viewer.page, mode, viewerName, `User ${viewerName}`);

    const owner = await openPage(browser, mode, berth.url);
    const { page } = owner;
    await signUp(page, mode, `olga-${suffix}`, `User olga-${suffix}`);

    // Create the organization.
    await visit(page, mode, '/orgs/new');
    await page.getByLabel('Organization name').fill(org);
    await page.getByLabel('Display name').fill(`Acme (${suffix})`);
    await page.getByRole('button', { name: 'Create organization' }).click();
    await page.getByRole('heading', { name: `Acme (${suffix})` }).waitFor();
    assert.match(page.url(), new RegExp(`/orgs/${org}$`));
    await page.getByText('No projects yet.').waitFor();

    // Invite the viewer to the organization by email: pending until they accept.
    await sectionLink(page, 'Organization', 'Members').click();
    await page.getByRole('heading', { name: 'Members' }).waitFor();
    const inviteToOrg = formWith(page, 'Send invitation');
    await inviteToOrg.getByLabel('Username or email').fill(`${viewerName}@example.com`);
    await inviteToOrg.getByLabel('Role').selectOption('member');
    await inviteToOrg.getByRole('button', { name: 'Send invitation' }).click();
    await page.getByRole('cell', { name: `${viewerName}@example.com`, exact: true }).waitFor();
    assert.equal(await page.getByRole('cell', { name: viewerName, exact: true }).count(), 0);

    // An email invitation is accepted through its link, which the owner passes on.
    const link = await page.locator('pre[id^="invitation-link-"]').first().textContent();
    assert.match(link, new RegExp(`^${berth.url}/invitation\\?id=[0-9a-f-]+&token=[0-9a-f]{64}$`));
    await acceptByLink(viewer.page, mode, link);
    await viewer.page.getByRole('heading', { name: `Acme (${suffix})` }).waitFor();

    // A project name that breaks the rules is explained next to its field.
    await sectionLink(page, 'Organization', 'Projects').click();
    await page.getByRole('link', { name: 'New project' }).click();
    await page.getByLabel('Project name').waitFor();
    if (mode.js) await page.waitForSelector('body[data-hydrated="true"]');
    assert.equal(await page.getByLabel('Owner').inputValue(), org);
    await page.getByLabel('Project name').fill('Web_Shop');
    await page.getByRole('button', { name: 'Create project' }).click();
    await seeProblem(page, 'Use lowercase letters only.');

    // Create the project in a region.
    await page.getByLabel('Owner').selectOption(org);
    await page.getByLabel('Project name').fill('web');
    await page.getByLabel('Description').fill('The web shop');
    // Each region shows where its images are pushed.
    assert.equal(
      (await page.getByLabel('Region').locator('option[value="local"]').textContent()).trim(),
      'Local (local) · pushes to localhost:5000',
    );
    await page.getByLabel('Region').selectOption('local');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByRole('heading', { name: `${org}/web` }).waitFor();
    await page.getByText('Local (local)').waitFor();
    await page.getByText(`localhost:5000/${org}/web/IMAGE`).waitFor();

    // Invite the viewer to the project by username.
    await sectionLink(page, 'Project', 'Members').click();
    const inviteToProject = formWith(page, 'Send invitation');
    await inviteToProject.getByLabel('Username or email').fill(viewerName);
    await inviteToProject.getByLabel('Role').selectOption('viewer');
    await inviteToProject.getByRole('button', { name: 'Send invitation' }).click();
    await page.getByRole('cell', { name: viewerName, exact: true }).waitFor();

    // The viewer accepts and sees the project, read-only.
    await acceptInvitation(viewer.page, mode, `${org}/web`);
    await viewer.page.getByRole('heading', { name: `${org}/web` }).waitFor();
    await viewer.page.getByText('You have the viewer role').waitFor();
    // Their menu has no Settings or Audit log, and the members page no forms.
    assert.equal(await sectionLink(viewer.page, 'Project', 'Settings').count(), 0);
    assert.equal(await sectionLink(viewer.page, 'Project', 'Audit log').count(), 0);
    await sectionLink(viewer.page, 'Project', 'Members').click();
    await viewer.page.getByRole('cell', { name: viewerName, exact: true }).waitFor();
    assert.equal(await viewer.page.getByRole('button', { name: 'Send invitation' }).count(), 0);
    assert.equal(await viewer.page.getByRole('button', { name: /^Remove/ }).count(), 0);
    // ... and the server refuses even a hand-made request.
    const res = await viewer.context.request.post(`${berth.url}/api/invite_project_member`, {
      form: { owner: org, name: 'web', login: `olga-${suffix}`, role: 'admin' },
      headers: { accept: 'application/json', origin: berth.url },
    });
    assert.equal(res.status(), 403);
    assert.match(await res.text(), /needs the admin role/);

    // The project is in the viewer's list, and nowhere for someone outside.
    await visit(viewer.page, mode, '/projects');
    await viewer.page.getByRole('link', { name: 'web' }).waitFor();

    // Forms are plain page posts in both modes: pages are server-rendered, only islands hydrate.
    const kinds = new Set(owner.submissions.map((s) => s.type));
    assert.deepEqual([...kinds], ['document'], JSON.stringify(owner.submissions));
    assert.ok(owner.submissions.length >= 5, JSON.stringify(owner.submissions));

    for (const { context, errors } of [owner, viewer]) {
      assert.deepEqual(errors, [], `console errors:\n${errors.join('\n')}`);
      await context.close();
    }
  });
}
