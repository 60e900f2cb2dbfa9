// Finding one's way: every section of a project and of an organization is reached from its
// first page through the section menu — tabs at 1280 px, a <details> menu at 360 px — and the
// menu marks where you are. Then every page is photographed at both widths (under
// target/screenshots/, for people to look at) and must not scroll sideways at 360 px.
// Run with JavaScript off and hydrated.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import {
  MODES, startBerth, launchBrowser, openPage, visit, signUp, call, sectionLink,
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

const WIDE = { width: 1280, height: 900 };
const NARROW = { width: 360, height: 780 };

const PROJECT_SECTIONS = [
  ['Overview', '', null],
  ['Credentials', '/credentials', 'Registry credentials'],
  ['Push paths', '/push-paths', 'Push paths'],
  ['Members', '/members', 'Members'],
  ['Audit log', '/audit', 'Audit log'],
  ['Settings', '/settings', 'Settings'],
];

const ORG_SECTIONS = [
  ['Projects', '', 'Projects'],
  ['Members', '/members', 'Members'],
  ['Regions', '/regions', 'Regions'],
  ['Audit log', '/audit', 'Audit log'],
  ['Settings', '/settings', 'Settings'],
];

/**
 * From `start`, follows the menu called `menu` to every section, at the page's current width:
 * on a narrow page the menu is a <details> that has to be opened first.
 */
async function walkSections(page, mode, menu, start, sections, narrow) {
  await visit(page, mode, start);
  for (const [label, suffix, heading] of sections) {
    if (narrow) {
      const nav = page.getByRole('navigation', { name: menu });
      assert.equal(await nav.locator('.section-tabs').isVisible(), false, 'tabs at 360 px');
      await nav.locator('summary').click();
    }
    await sectionLink(page, menu, label).click();
    await page.waitForURL(`${berth.url}${start}${suffix}`);
    if (mode.js) await page.waitForSelector('body[data-hydrated="true"]');
    // The tabs and the narrow menu both mark this section, and only it.
    const marked = await page.locator(`nav[aria-label="${menu}"] [aria-current="page"]`).allTextContents();
    assert.deepEqual(marked, [label, label], `${label}: marked current`);
    if (heading) await page.getByRole('heading', { name: heading, exact: true }).waitFor();
  }
}

for (const mode of MODES) {
  test(`section menus and every page at 1280 and 360 px (${mode.name})`, async () => {
    const suffix = mode.js ? 'js' : 'plain';
    const user = `nav-${suffix}`;
    const org = `shipyard-${suffix}`;
    const { context, page, errors } = await openPage(browser, mode, berth.url);
    await page.setViewportSize(WIDE);

    // A blank display name means the username.
    await signUp(page, mode, user);
    await call(context, berth.url, 'create_org', { name: org, display_name: '' });
    await call(context, berth.url, 'create_project', {
      owner: org, name: 'web', description: 'The web shop', region: 'local',
    });
    await call(context, berth.url, 'create_project', {
      owner: user, name: 'blog', description: '', region: 'local',
    });
    await call(context, berth.url, 'add_credential', {
      owner: org, name: 'web', registry: 'docker_hub', server: '', username: 'shipper',
      email: '', password: 'hub-token',
    });
    await call(context, berth.url, 'invite_project_member', {
      owner: org, name: 'web', login: 'someone@example.com', role: 'developer',
    });

    // The home page lists the projects with their owner, and the organization.
    await visit(page, mode, '/');
    await page.getByRole('heading', { name: `Hello, ${user}` }).waitFor();
    await page.getByRole('link', { name: `${org}/web` }).waitFor();
    await page.getByRole('link', { name: `${user}/blog` }).waitFor();
    await page.getByRole('link', { name: org, exact: true }).waitFor();

    const project = `/projects/${org}/web`;
    const orgPage = `/orgs/${org}`;
    await walkSections(page, mode, 'Project', project, PROJECT_SECTIONS, false);
    await walkSections(page, mode, 'Organization', orgPage, ORG_SECTIONS, false);
    await page.setViewportSize(NARROW);
    await walkSections(page, mode, 'Project', project, PROJECT_SECTIONS, true);
    await walkSections(page, mode, 'Organization', orgPage, ORG_SECTIONS, true);

    // Every page, photographed at both widths; none scrolls sideways on a phone.
    const pages = [
      ['home', '/'],
      ['projects', '/projects'],
      ['project-new', '/projects/new'],
      ['org-new', '/orgs/new'],
      ['account', '/account'],
      ['regions', '/regions'],
      ...ORG_SECTIONS.map(([label, s]) => [`org-${label.toLowerCase().replace(' ', '-')}`, `${orgPage}${s}`]),
      ...PROJECT_SECTIONS.map(([label, s]) => [`project-${label.toLowerCase().replace(' ', '-')}`, `${project}${s}`]),
      ['project-push-paths-image', `${project}/push-paths?image=shop/cart&tag=1.0`],
      ['project-credentials-edit', `${project}/credentials?image=nginx`],
    ];
    for (const [viewport, dir] of [[WIDE, 'wide'], [NARROW, 'narrow']]) {
      const out = `target/screenshots/${suffix}/${dir}`;
      mkdirSync(out, { recursive: true });
      await page.setViewportSize(viewport);
      for (const [name, path] of pages) {
        await visit(page, mode, path);
        await page.screenshot({ path: `${out}/${name}.png`, fullPage: true });
        const overflow = await page.evaluate(
          () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
        );
        assert.equal(overflow, 0, `${path} scrolls sideways by ${overflow} px at ${viewport.width} px`);
      }
    }

    assert.deepEqual(errors, [], `console errors:\n${errors.join('\n')}`);
    await context.close();
  });
}
