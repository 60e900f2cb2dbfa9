// The Repositories page in a real browser, fed by a real registry: Debian's docker-registry
// configured by `berth kcr registry-config`, an image pushed with skopeo and a token made in
// Berth; the page lists the repository and its tag (short digest, size, who pushed it), the
// Copy button copies the full pull reference when JavaScript runs, and an admin's Delete
// removes the image from the page and from the registry. Run with JavaScript off and hydrated.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  MODES, startBerthWithKcr, launchBrowser, openPage, visit, signUp, createProject, personalToken,
} from './harness.mjs';

const run = promisify(execFile);

let kcr;
let berth;
let browser;
let host;
let work;

/** A one-file tar archive (ustar), as an image layer holds. */
function tar(name, content) {
  const header = Buffer.alloc(512);
  const field = (text, offset, length) => header.write(text, offset, length, 'ascii');
  field(name, 0, 100);
  field('0000644\0', 100, 8);
  field('0000000\0', 108, 8);
  field('0000000\0', 116, 8);
  field(content.length.toString(8).padStart(11, '0') + '\0', 124, 12);
  field('00000000000\0', 136, 12);
  field('        ', 148, 8);
  field('0', 156, 1);
  field('ustar\0', 257, 6);
  field('00', 263, 2);
  const sum = header.reduce((a, b) => a + b, 0);
  field(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  const body = Buffer.alloc(Math.ceil(content.length / 512) * 512);
  content.copy(body);
  return Buffer.concat([header, body, Buffer.alloc(1024)]);
}

/** An OCI image layout with one small image; returns its manifest digest and image size. */
function ociImage(dir) {
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const put = (bytes) => {
    const hex = createHash('sha256').update(bytes).digest('hex');
    writeFileSync(join(blobs, hex), bytes);
    return { digest: `sha256:${hex}`, size: bytes.length };
  };
  const layer = put(tar('hello.txt', Buffer.from('hello from the browser test\n')));
  const config = put(Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', config: {},
    rootfs: { type: 'layers', diff_ids: [layer.digest] },
  })));
  const manifest = put(Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
  })));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest }],
  }));
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  return { digest: manifest.digest, size: config.size + layer.size };
}

function skopeo(args) {
  return run('skopeo', ['--insecure-policy', ...args], {
    env: { ...process.env, REGISTRY_AUTH_FILE: join(work, 'auth.json') },
  });
}

before(async () => {
  kcr = await startBerthWithKcr();
  ({ berth, host, work } = kcr);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await kcr?.stop();
});

for (const mode of MODES) {
  test(`repositories: push, list, copy, delete (${mode.name})`, async () => {
    const user = mode.js ? 'rita-js' : 'rita-plain';
    const { context, page, errors } = await openPage(browser, mode, berth.url);
    if (mode.js) {
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: berth.url });
    }
    await signUp(page, mode, user);
    await createProject(context, berth.url, user, 'site');

    // An empty page says where to start.
    await visit(page, mode, `/projects/${user}/site/repositories`);
    await page.getByRole('heading', { name: 'Repositories', level: 2 }).waitFor();
    await page.getByText('Nothing pushed yet').waitFor();

    // A token made in Berth pushes a real image with skopeo.
    const token = await personalToken(context, berth.url, 'push', 'registry:push');
    const layout = join(work, `layout-${user}`);
    const { digest, size } = ociImage(layout);
    await skopeo([
      'copy', '--dest-tls-verify=false', '--preserve-digests', '--dest-creds', `${user}:${token}`,
      `oci:${layout}`, `docker://${host}/${user}/site/web:1.0`,
    ]);

    // The registry's notification fills the page.
    const repo = page.getByRole('link', { name: `${user}/site/web` });
    for (let i = 0; !(await repo.count()); i++) {
      assert.ok(i < 50, 'the pushed repository is listed');
      await new Promise((r) => setTimeout(r, 200));
      await visit(page, mode, `/projects/${user}/site/repositories`);
    }
    await repo.click();
    await page.getByRole('heading', { name: `Tags of ${user}/site/web` }).waitFor();
    if (mode.js) await page.waitForSelector('body[data-hydrated="true"]');
    const row = page.getByRole('row').filter({ hasText: '1.0' });
    await row.getByText(digest.slice(7, 19), { exact: true }).waitFor();
    await row.getByText(`by ${user} (token push)`).waitFor();
    // Config and layer, as the Size column counts them (more than 1 KiB: shown in KiB).
    await row.getByRole('cell', { name: `${(size / 1024).toFixed(1)} KiB`, exact: true }).waitFor();

    const reference = `${host}/${user}/site/web@${digest}`;
    if (mode.js) {
      await row.getByRole('button', { name: 'Copy the pull reference of 1.0' }).click();
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), reference);
    } else {
      assert.equal(await row.getByRole('button', { name: /^Copy/ }).isVisible(), false);
    }

    // The admin deletes the image: gone from the page and from the registry.
    await row.getByRole('button', { name: `Delete image ${user}/site/web:1.0` }).click();
    await page.getByText('No tags left.').waitFor();
    await assert.rejects(
      skopeo(['inspect', '--tls-verify=false', '--creds', `${user}:${token}`, `docker://${host}/${user}/site/web:1.0`]),
      /manifest unknown/,
    );
    assert.deepEqual(errors, []);
    await context.close();
  });
}
