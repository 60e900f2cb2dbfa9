// KCR push paths in a real browser: typing an image name updates every command (hydrated),
// "Copy" puts exactly the command on the clipboard, and without JavaScript the GET form
// renders the same commands.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  MODES, startBerth, launchBrowser, openPage, visit, signUp, createProject, sectionLink,
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


for (const mode of MODES) {
  test(`push paths follow the image and tag (${mode.name})`, async () => {
    const user = mode.js ? 'pia-js' : 'pia-plain';
    const { context, page, errors } = await openPage(browser, mode, berth.url);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: berth.url });

    await signUp(page, mode, user);
    await createProject(context, berth.url, user, 'web');

    // The project page links here.
    await visit(page, mode, `/projects/${user}/web`);
    await sectionLink(page, 'Project', 'Push paths').click();
    await page.getByRole('heading', { name: 'This project' }).waitFor();
    if (mode.js) await page.waitForSelector('body[data-hydrated="true"]');
    const repo = `localhost:5000/${user}/web/cart`;

    await page.getByLabel('Image').fill('cart');
    await page.getByLabel('Tag').fill('v2');
    if (!mode.js) await page.getByRole('button', { name: 'Show commands' }).click();
    await page.getByText(`docker push ${repo}:v2`).waitFor();
    const blocks = await page.locator('pre').allTextContents();
    assert.equal(blocks.length, 7, blocks.join('\n---\n'));
    // Docker, Podman, Skopeo, Maven, sbt, npm, credential helper.
    for (const i of [0, 1, 2, 3, 5]) assert.ok(blocks[i].includes(repo), blocks[i]);
    assert.ok(blocks[4].includes(`dockerUsername := Some("${user}/web")`), blocks[4]);
    assert.ok(blocks[4].includes('Docker / version := "v2"'), blocks[4]);
    assert.match(blocks[6], /"credHelpers"/);
    assert.ok(blocks[0].includes(`docker tag cart:v2 ${repo}:v2`));

    // One tool at a time: Docker first; choosing Podman shows its block instead.
    const podman = `podman push cart:v2 ${repo}:v2`;
    assert.equal(await page.getByText(podman).isVisible(), false);
    await page.locator('label', { hasText: 'Podman' }).click();
    assert.equal(await page.getByRole('radio', { name: 'Podman' }).isChecked(), true);
    await page.getByText(podman).waitFor();
    assert.equal(await page.getByText(`docker push ${repo}:v2`).isVisible(), false);
    if (mode.js) {
      // Remembered for the next visit once the page is interactive.
      await visit(page, mode, `/projects/${user}/web/push-paths?image=cart&tag=v2`);
      await page.getByText(podman).waitFor();
      await page.locator('label', { hasText: 'Docker' }).click();
    }

    // An invalid name says what is wrong and shows no commands.
    await page.getByLabel('Image').fill('Cart');
    if (!mode.js) await page.getByRole('button', { name: 'Show commands' }).click();
    await page.getByText('Image: Use lowercase letters only.').waitFor();
    assert.equal(await page.locator('pre:visible').count(), 0);

    if (mode.js) {
      // Live update as you type, and the copy button.
      await page.getByLabel('Image').fill('shop/api');
      await page.getByText(`docker push localhost:5000/${user}/web/shop/api:v2`).waitFor();
      const copy = page.getByRole('button', { name: 'Copy' }).first();
      await copy.click();
      await page.getByRole('button', { name: 'Copied' }).waitFor();
      const clip = await page.evaluate(() => navigator.clipboard.readText());
      assert.equal(
        clip,
        `docker tag shop/api:v2 localhost:5000/${user}/web/shop/api:v2\ndocker push localhost:5000/${user}/web/shop/api:v2`,
      );
    } else {
      // Without JavaScript a copy button could do nothing, so there is none.
      assert.equal(await page.getByRole('button', { name: 'Copy' }).count(), 0);
    }

    assert.deepEqual(errors, [], `console errors:\n${errors.join('\n')}`);
    await context.close();
  });
}
