// Test connection in a real browser, against a real registry (KCR: Debian's docker-registry
// behind Berth's token service, reached on loopback with --registry-allow-private). On the
// add form before saving: the step list of a working login, then of a wrong password; the
// form keeps what was typed. Then the row's Check, the status column and the expiry date.
// Run with JavaScript off (the form posts, the page comes back with the report) and hydrated
// (the report appears in place and the password stays typed).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  MODES, startBerthWithKcr, launchBrowser, openPage, visit, signUp, createProject, personalToken,
  focusedInView,
} from './harness.mjs';

let kcr;
let browser;

before(async () => {
  kcr = await startBerthWithKcr(['--registry-allow-private'], { kcrName: 'localhost' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await kcr?.stop();
});

/** The add form. */
function addForm(page) {
  return page.locator('form', { has: page.getByRole('button', { name: 'Add credentials' }) });
}

async function fill(page, { server, username, password, expires }) {
  const form = addForm(page);
  await form.getByLabel('Registry').selectOption('other');
  await form.getByLabel('Server').fill(server);
  await form.getByLabel('Username').fill(username);
  await form.getByLabel('Password', { exact: true }).fill(password);
  if (expires) await form.getByLabel('Expires on').fill(expires);
}

/** Each step of the report in `scope`: "passed | Reach the registry | HTTP 401 … | 3 ms". */
async function steps(scope) {
  return scope.locator('.check-steps li').evaluateAll((items) => items.map((li) => [
    li.dataset.state, ...['.label', '.detail', '.ms'].map((c) => li.querySelector(c)?.textContent ?? ''),
  ].join(' | ')));
}

for (const mode of MODES) {
  test(`credentials: Test connection before saving, then Check (${mode.name})`, async () => {
    const { berth, host } = kcr;
    const user = mode.js ? 'tess-js' : 'tess-plain';
    const { context, page, errors, submissions } = await openPage(browser, mode, berth.url);
    await signUp(page, mode, user);
    await createProject(context, berth.url, user, 'web');
    const token = await personalToken(context, berth.url, 'pull', 'registry:pull');
    // KCR's registry by its address, which is not the region's KCR host (a credential for
    // the KCR host itself is refused): a registry whose sign-in is a Bearer token service.
    const server = `http://${host}`;
    const realm = new URL(berth.url).host;

    await visit(page, mode, `/projects/${user}/web/credentials`);
    await fill(page, { server, username: user, password: token });
    const posted = submissions.length;
    await addForm(page).getByRole('button', { name: 'Test connection' }).click();
    const report = addForm(page).locator('#check-result-add .check-report');
    await report.waitFor();
    assert.equal(await report.getAttribute('data-outcome'), 'ok');
    assert.match(await report.locator('.check-headline').textContent(), /^Connection OK \(\d+ ms\)$/);
    const ok = await steps(report);
    assert.equal(ok.length, 3, ok.join('\n'));
    assert.match(ok[0], /^passed \| Reach the registry \| HTTP 401 from 127\.0\.0\.1:\d+ \| \d+ ms$/);
    assert.match(ok[1], /^skipped \| TLS \| plain HTTP: .* \| $/);
    assert.equal(ok[2].replace(/\d+ ms$/, 'N ms'), `passed | Sign in | accepted: a token from ${realm} (Bearer) | N ms`);
    // Nothing was saved, and the form still holds what was typed.
    assert.equal(await page.locator('tbody tr').count(), 0);
    assert.equal(await addForm(page).getByLabel('Server').inputValue(), server);
    assert.equal(await addForm(page).getByLabel('Username').inputValue(), user);
    const password = addForm(page).getByLabel('Password', { exact: true });
    if (mode.js) {
      // Checked in place: the password is still there, and the form was never posted.
      assert.equal(await password.inputValue(), token);
      const since = submissions.slice(posted);
      assert.deepEqual(since.map((s) => [s.fn, s.type]), [['/api/check_typed_credential', 'fetch']]);
    } else {
      // A plain post came back: the password is never sent back to the browser.
      assert.equal(await password.inputValue(), '');
      assert.ok(!(await page.content()).includes(token));
    }

    // A wrong password: the failed step says so in the registry's words.
    await fill(page, { server, username: user, password: 'berth_pat_wrong' });
    await addForm(page).getByRole('button', { name: 'Test connection' }).click();
    await addForm(page).locator('#check-result-add .check-report[data-outcome="failing"]').waitFor();
    const failed = await steps(report);
    assert.match(failed.at(-1), /^failed \| Sign in \| the token service .* refused the username and password/);
    assert.match(await report.locator('.check-headline').textContent(), /^Connection failed: auth refused$/);

    // Saved with an expiry date, then checked from its row: the status column says OK.
    const soon = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    await fill(page, { server, username: user, password: token, expires: soon });
    await addForm(page).getByRole('button', { name: 'Add credentials' }).click();
    const row = page.getByRole('row').filter({ hasText: server });
    await row.waitFor();
    await row.getByText('not checked yet').waitFor();
    await row.getByText('expires in 3 days').waitFor();
    await page.locator('#expiry-warnings').getByText(`Credentials for ${server}: expires in 3 days (${soon}).`).waitFor();
    await row.getByRole('button', { name: 'Check' }).click();
    await page.getByRole('row').filter({ hasText: server }).locator('[data-status="ok"]').waitFor();
    const panel = page.locator('#check-result');
    await panel.getByText(`Connection check of ${server}`).waitFor();
    assert.equal((await steps(panel)).length, 3);
    // The report opens where the person looks: focused, in view (a phone included).
    assert.ok(await focusedInView(page, panel), 'the check report has focus, in view');
    await page.setViewportSize({ width: 360, height: 740 });
    await row.getByRole('button', { name: 'Check' }).click();
    await panel.waitFor();
    assert.ok(await focusedInView(page, panel), 'at 360 px too');
    assert.deepEqual(errors, []);
  });
}
