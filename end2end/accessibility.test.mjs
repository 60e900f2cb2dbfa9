// Every page, as a person meets it, at 1280 and 360 px in light and dark mode:
// - axe-core (WCAG 2.0/2.1/2.2 A and AA rules) reports no serious or critical violation;
// - the page names itself: a title of its own, not just "Berth", unique across pages;
// - at 360 px nothing is wider than the screen (an element may only overflow inside a box
//   that scrolls or clips it).
// Hydrated pages (axe runs in the page; the markup is the server's, islands hydrated).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import {
  startBerthWithKcr, launchBrowser, signUp, call, createProject, personalToken,
} from './harness.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');

let kcr;
let browser;

before(async () => {
  kcr = await startBerthWithKcr();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await kcr?.stop();
});

/** The rules axe runs: WCAG A and AA up to 2.2 (target size included). */
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

async function axe(page) {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async (tags) => {
    // eslint-disable-next-line no-undef
    const result = await axe.run(document, { runOnly: { type: 'tag', values: tags } });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')} — ${n.failureSummary.replace(/\n/g, ' ')}`).join('\n    ')}`);
  }, TAGS);
}

/** Elements reaching past the right edge of a `width`-px screen, outside any scrolling box. */
async function tooWide(page, width) {
  return page.evaluate((w) => {
    const clipped = (el) => {
      for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
        const o = getComputedStyle(a).overflowX;
        if (o === 'auto' || o === 'scroll' || o === 'hidden' || o === 'clip') return true;
      }
      return false;
    };
    const out = [];
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.right <= w + 0.5 || clipped(el)) continue;
      const style = getComputedStyle(el);
      if (style.position === 'absolute' && el.closest('.sr-only')) continue;
      if (el.classList.contains('sr-only')) continue;
      out.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${[...el.classList].slice(0, 3).join('.')} right=${Math.round(r.right)}`);
    }
    return out.slice(0, 5);
  }, width);
}

test('every page: no serious axe violation in light and dark at 1280 and 360 px, a title of its own, nothing wider than a phone', async () => {
  const { berth } = kcr;
  const owner = 'aria';
  const org = 'lighthouse';
  const context = await browser.newContext({ baseURL: berth.url, bypassCSP: true });
  const page = await context.newPage();

  // Everything a page can show: an organization with a project, a personal project, a
  // credential, tokens, a pending invitation, a second member.
  await signUp(page, { js: true }, owner);
  await call(context, berth.url, 'create_org', { name: org, display_name: 'Lighthouse' });
  await call(context, berth.url, 'create_project', {
    owner: org, name: 'beacon', description: 'The beacon service', region: 'local',
  });
  await createProject(context, berth.url, owner, 'notes');
  await call(context, berth.url, 'add_credential', {
    owner: org, name: 'beacon', registry: 'other', server: 'registry.example.com',
    username: 'ci', email: '', password: 'secret-token', expires_on: '',
  });
  await personalToken(context, berth.url, 'laptop', 'projects:read');
  await call(context, berth.url, 'create_project_token', {
    owner: org, name: 'beacon', label: 'deploy', 'scopes[]': 'registry:push', expires_in_days: '30',
  });
  await call(context, berth.url, 'invite_project_member', {
    owner: org, name: 'beacon', login: 'someone@example.com', role: 'developer',
  });
  const list = await context.request.get(`${berth.url}/api/list_credentials?owner=${org}&name=beacon`, {
    headers: { accept: 'application/json' },
  });
  const credential = (await list.json()).items[0].id;
  const tokens = await context.request.get(`${berth.url}/api/list_personal_tokens`, {
    headers: { accept: 'application/json' },
  });
  const token = (await tokens.json()).tokens[0].id;

  const project = `/projects/${org}/beacon`;
  const orgPage = `/orgs/${org}`;
  const signedIn = [
    '/',
    '/projects',
    '/projects/new',
    '/orgs/new',
    '/account',
    '/account/tokens',
    `/account/tokens?revoke=${token}`,
    '/regions',
    '/activate',
    orgPage,
    `${orgPage}/members`,
    `${orgPage}/regions`,
    `${orgPage}/audit`,
    `${orgPage}/settings`,
    project,
    `${project}/credentials`,
    `${project}/credentials?edit=${credential}`,
    `${project}/credentials?delete=${credential}`,
    `${project}/credentials/import`,
    `${project}/pull-secret`,
    `${project}/push-paths?image=shop/cart&tag=1.0`,
    `${project}/repositories`,
    `${project}/members`,
    `${project}/tokens`,
    `${project}/audit`,
    `${project}/settings`,
    `/projects/${owner}/notes`,
    '/no-such-page',
    `/projects/${org}/no-such-project`,
  ];
  const signedOut = ['/login', '/signup'];

  const problems = [];
  const titles = new Map();
  for (const scheme of ['light', 'dark']) {
    for (const width of [1280, 360]) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.setViewportSize({ width, height: 800 });
      for (const [path, ctx] of [...signedIn.map((p) => [p, page]), ...signedOut.map((p) => [p, null])]) {
        let p = ctx;
        let anon;
        if (!p) {
          anon = await browser.newContext({ baseURL: berth.url, bypassCSP: true, colorScheme: scheme });
          p = await anon.newPage();
          await p.setViewportSize({ width, height: 800 });
        }
        await p.goto(path);
        await p.waitForSelector('body[data-hydrated="true"]');
        const where = `${path} (${scheme}, ${width} px)`;
        for (const v of await axe(p)) problems.push(`${where}: ${v}`);
        if (width === 360) {
          for (const el of await tooWide(p, 360)) problems.push(`${where}: wider than the screen: ${el}`);
        }
        if (scheme === 'light' && width === 1280) {
          const title = await p.title();
          if (!/ · Berth$/.test(title)) problems.push(`${where}: the title "${title}" does not name the page`);
          const base = path.split('?')[0];
          // Pages that are not there may share "Not found".
          if (titles.has(title) && titles.get(title) !== base && !title.startsWith('Not found')) {
            problems.push(`${where}: the title "${title}" is also ${titles.get(title)}'s`);
          }
          titles.set(title, base);
        }
        await anon?.close();
      }
    }
  }
  assert.deepEqual(problems, [], `\n${problems.join('\n')}`);
  await context.close();
});
