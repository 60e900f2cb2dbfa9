// Importing the logins of a docker config.json in a real browser. With JavaScript off the file
// is pasted into the text area; hydrated, it is chosen with "Or choose the file" and read into
// it. Either way the preview lists each entry's fate (add, already present, not importable and
// why) and stores nothing; Import adds and, when chosen, updates; the passwords of the file
// never come back to any page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  MODES, startBerth, launchBrowser, openPage, visit, signUp, createProject, call, seeMessage,
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

const b64 = (s) => Buffer.from(s).toString('base64');
const SECRETS = ['hub-secret-1', 'ghp_secret_2', 'refresh-secret-3', 'gl-secret-4'];
const CONFIG = JSON.stringify({
  auths: {
    'https://index.docker.io/v1/': { auth: b64('ann:hub-secret-1') },
    'ghcr.io': { username: 'ann-bot', password: 'ghp_secret_2' },
    'quay.io': { identitytoken: 'refresh-secret-3' },
    'registry.gitlab.com': { auth: b64('ann-gl:gl-secret-4') },
  },
  credHelpers: { 'gcr.io': 'gcloud' },
}, null, 2);

/** The preview's rows: "action | entry | server | username | what happens". */
async function rows(page) {
  return page.locator('#import-preview tbody tr').evaluateAll((trs) => trs.map((tr) => [
    tr.dataset.action, ...[...tr.querySelectorAll('td')].map((td) => td.textContent.trim()),
  ].join(' | ')));
}

for (const mode of MODES) {
  test(`credentials: import from docker config.json (${mode.name})`, async () => {
    const user = mode.js ? 'imp-js' : 'imp-plain';
    const { context, page, errors, submissions } = await openPage(browser, mode, berth.url);
    await signUp(page, mode, user);
    await createProject(context, berth.url, user, 'web');
    await call(context, berth.url, 'add_credential', {
      owner: user, name: 'web', registry: 'other', server: 'ghcr.io',
      username: 'old-bot', email: '', password: 'old-password',
    });

    await visit(page, mode, `/projects/${user}/web/credentials`);
    await page.getByRole('link', { name: 'Import from docker config.json' }).click();
    await page.getByRole('heading', { name: 'Import from docker config.json' }).waitFor();
    if (mode.js) await page.waitForSelector('body[data-hydrated="true"]');
    const area = page.getByLabel('config.json');
    const chooser = page.getByLabel('Or choose the file');
    if (mode.js) {
      await chooser.setInputFiles({ name: 'config.json', mimeType: 'application/json', buffer: Buffer.from(CONFIG) });
      await page.getByRole('status').filter({ hasText: 'Read config.json.' }).waitFor();
      assert.equal(await area.inputValue(), CONFIG);
    } else {
      // Reading a file needs JavaScript: without it the chooser is not offered.
      assert.equal(await chooser.isVisible(), false);
      await area.fill(CONFIG);
    }
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.locator('#import-preview').waitFor();
    assert.match(page.url(), /\/credentials\/import\?draft=[0-9a-f-]{36}$/);
    const preview = await rows(page);
    assert.equal(preview.length, 5, preview.join('\n'));
    const byEntry = (entry) => preview.find((r) => r.includes(`| ${entry} |`)) ?? `no row for ${entry}`;
    assert.match(byEntry('auths["https://index.docker.io/v1/"]'), /^add \| .* \| https:\/\/index\.docker\.io\/v1\/ \| ann \| added$/);
    assert.match(byEntry('auths["ghcr.io"]'), /^present \| .* \| ghcr\.io \| ann-bot \| already present \([0-9a-f-]{36}\)/);
    assert.match(byEntry('auths["quay.io"]'), /^not-importable \| .* \| not importable: signed in with an identity token/);
    assert.match(byEntry('auths["registry.gitlab.com"]'), /^add \| .* \| registry\.gitlab\.com \| ann-gl \| added$/);
    assert.match(byEntry('credHelpers["gcr.io"]'), /^not-importable \| .* \| not importable: /);
    await page.getByText('2 to add, 1 already present, 2 not importable.').waitFor();
    for (const secret of SECRETS) assert.ok(!(await page.content()).includes(secret), `preview shows ${secret}`);

    // Nothing is stored before Import: the list still holds the one credential.
    const list = await context.request.get(`${berth.url}/projects/${user}/web/credentials`);
    assert.ok(!(await list.text()).includes('ann-gl'));

    await page.getByLabel("Replace their username, email and password with the file's").check();
    await page.getByRole('button', { name: 'Import' }).click();
    await seeMessage(page, 'status', 'Imported 3 credentials from the config.json; they are not checked yet.');
    assert.match(page.url(), /\/credentials\?imported=3$/);
    for (const [server, username] of [['https://index.docker.io/v1/', 'ann'], ['ghcr.io', 'ann-bot'], ['registry.gitlab.com', 'ann-gl']]) {
      await page.getByRole('row').filter({ hasText: server }).filter({ hasText: username }).first().waitFor();
    }
    assert.equal(await page.getByRole('row').filter({ hasText: 'old-bot' }).count(), 0);
    for (const secret of SECRETS) assert.ok(!(await page.content()).includes(secret), `list shows ${secret}`);
    // Preview and Import are plain page posts in both modes (only the file chooser is an island).
    assert.deepEqual(
      submissions.filter((s) => s.fn.includes('credential_import')).map((s) => [s.fn, s.type]),
      [['/api/preview_credential_import', 'document'], ['/api/confirm_credential_import', 'document']],
    );
    assert.deepEqual(errors, [], `console errors:\n${errors.join('\n')}`);
    await context.close();
  });
}
