// Amazon ECR credentials in a real browser, against the run's AWS emulator (scripts/aws-emulator).
// Against the server that checks signatures: the folded form opens, a host that is not ECR and
// a key ID of the wrong shape are refused on their fields, and a secret key AWS does not accept
// is refused next to the Secret access key field with AWS's own code; nothing is stored and the
// page never receives the secret. Against the server whose tokens live 12 hours: a credential
// is added, listed with its password's end, given a rotated key through its Edit form, and the
// pull-secret page says when its password ends. Run with JavaScript off and hydrated;
// screenshots at 1280 and 360 px go to target/screenshots/ecr/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import {
  MODES, startBerth, launchBrowser, openPage, visit, signUp, createProject, sectionLink,
  seeProblem,
} from './harness.mjs';

const AWS = process.env.BERTH_TEST_AWS_AUTH_URL;
const LIVE_AWS = process.env.BERTH_TEST_AWS_LIVE_URL;
const KEY_ID = process.env.BERTH_TEST_AWS_AUTH_KEY_ID;
const WRONG_SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

let berth;
let live;
let browser;

before(async () => {
  assert.ok(AWS && KEY_ID && LIVE_AWS, 'BERTH_TEST_AWS_AUTH_URL is not set: run the tests with scripts/test');
  berth = await startBerth(['--aws-endpoint-url', AWS]);
  live = await startBerth(['--aws-endpoint-url', LIVE_AWS]);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await berth?.stop();
  await live?.stop();
});

async function shoot(page, dir, name) {
  mkdirSync(dir, { recursive: true });
  for (const [size, width] of [['wide', 1280], ['narrow', 360]]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: `${dir}/${name}-${size}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function addEcr(page, { server, keyId, secret }) {
  const form = page.locator('form', { has: page.getByRole('button', { name: 'Add ECR credentials' }) });
  await form.getByLabel('Registry').fill(server);
  await form.getByLabel('Access key ID').fill(keyId);
  await form.getByLabel('Secret access key').fill(secret);
  await form.getByRole('button', { name: 'Add ECR credentials' }).click();
}

for (const mode of MODES) {
  test(`ECR credentials: the form refuses what AWS would (${mode.name})`, async () => {
    const user = mode.js ? 'erin-js' : 'erin-plain';
    const { context, page } = await openPage(browser, mode, berth.url);
    await signUp(page, mode, user);
    await createProject(context, berth.url, user, 'web');
    await visit(page, mode, `/projects/${user}/web`);
    await sectionLink(page, 'Project', 'Credentials').click();
    await page.getByRole('heading', { name: 'Registry credentials' }).waitFor();
    if (mode.js) await page.waitForSelector('body[data-hydrated="true"]');

    await page.getByText('Add Amazon ECR credentials').click();
    await page.getByLabel('Access key ID').waitFor();
    const shots = `target/screenshots/ecr/${mode.js ? 'js' : 'plain'}`;
    mkdirSync(shots, { recursive: true });
    for (const [name, width] of [['wide', 1280], ['narrow', 360]]) {
      await page.setViewportSize({ width, height: 900 });
      await page.getByText('Add Amazon ECR credentials').scrollIntoViewIfNeeded();
      await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
    }
    await page.setViewportSize({ width: 1280, height: 900 });

    await addEcr(page, { server: 'ghcr.io', keyId: 'AKIA', secret: WRONG_SECRET });
    await seeProblem(page, '2 fields need attention');
    await page.locator('#field-registry_host-error').getByText('not an Amazon ECR registry').waitFor();
    await page.locator('#field-aws_access_key_id-error').getByText('16 to 128 letters and digits').waitFor();

    await addEcr(page, { server: HOST, keyId: KEY_ID, secret: WRONG_SECRET });
    await seeProblem(page, 'SignatureDoesNotMatch');
    const secretField = page.getByLabel('Secret access key');
    assert.equal(await secretField.getAttribute('aria-invalid'), 'true');
    // The refused form keeps what may be kept, never the secret.
    assert.equal(await page.getByLabel('Access key ID').inputValue(), KEY_ID);
    if (!mode.js) assert.equal(await secretField.inputValue(), '');
    await page.getByText('No credentials yet').waitFor();
    assert.ok(!(await page.content()).includes(WRONG_SECRET.slice(0, 12)));
    await context.close();
  });
}

for (const mode of MODES) {
  test(`ECR credentials: added, listed with their password's end, given a rotated key (${mode.name})`, async () => {
    const user = mode.js ? 'ezra-js' : 'ezra-plain';
    const { context, page } = await openPage(browser, mode, live.url);
    await signUp(page, mode, user);
    await createProject(context, live.url, user, 'web');
    await visit(page, mode, `/projects/${user}/web/credentials`);
    if (mode.js) await page.waitForSelector('body[data-hydrated="true"]');
    const shots = `target/screenshots/ecr/${mode.js ? 'js' : 'plain'}`;

    await page.getByText('Add Amazon ECR credentials').click();
    await addEcr(page, { server: HOST, keyId: 'AKIAIOSFODNN7EXAMPLE', secret: WRONG_SECRET });
    const row = page.getByRole('row', { name: new RegExp(HOST.replace(/\./g, '\\.')) });
    await row.getByText('password until').waitFor();
    await row.getByText('AKIAIOSFODNN7EXAMPLE').waitFor();
    await row.getByText(/renewed/).waitFor();
    await shoot(page, shots, 'list');

    // Edit: the keys, prefilled but for the secret.
    await row.getByRole('button', { name: 'Edit' }).click();
    await page.getByRole('heading', { name: `AWS keys for ${HOST}` }).waitFor();
    const form = page.locator('form#edit');
    assert.equal(await form.getByLabel('Access key ID').inputValue(), 'AKIAIOSFODNN7EXAMPLE');
    assert.equal(await form.getByLabel('Secret access key').inputValue(), '');
    await form.getByLabel('Secret access key').scrollIntoViewIfNeeded();
    await shoot(page, shots, 'edit');

    // A new key ID without its secret: refused on the secret's field, nothing changed.
    await form.getByLabel('Access key ID').fill('AKIAI44QH8DHBEXAMPLE');
    await form.getByRole('button', { name: 'Save keys' }).click();
    await page.locator('#field-aws_secret_access_key-edit-error')
      .getByText('A new key ID comes with its own secret').waitFor();
    await page.getByRole('row', { name: new RegExp(HOST.replace(/\./g, '\\.')) })
      .getByText('AKIAIOSFODNN7EXAMPLE').waitFor();

    // With it: saved, the row names the new key.
    const again = page.locator('form#edit');
    await again.getByLabel('Access key ID').fill('AKIAI44QH8DHBEXAMPLE');
    await again.getByLabel('Secret access key').fill('je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY');
    await again.getByRole('button', { name: 'Save keys' }).click();
    await page.getByRole('row', { name: new RegExp(HOST.replace(/\./g, '\\.')) })
      .getByText('AKIAI44QH8DHBEXAMPLE').waitFor();
    assert.ok(!(await page.content()).includes('je7MtGbClwBF'));

    // The pull-secret page says when the ECR password in the file ends.
    await page.getByRole('link', { name: 'Download pull secret' }).click();
    await page.getByText('Amazon ECR passwords last 12 hours').waitFor();
    await shoot(page, shots, 'pull-secret');
    await context.close();
  });
}
