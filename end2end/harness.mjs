// Browser-test harness: starts a real `berth serve` on a fresh SQLite file and drives Debian's
// Chromium through playwright-core. Every spec runs in two modes: JavaScript off (the
// server-rendered forms must work alone) and hydrated (no console error allowed).
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

export const MODES = [
  { name: 'JavaScript off', js: false },
  { name: 'hydrated', js: true },
];

/** Starts Berth; resolves once it prints its URL. */
export async function startBerth(extraArgs = []) {
  const dir = mkdtempSync(join(tmpdir(), 'berth-e2e-'));
  const bin = process.env.BERTH_BIN ?? 'target/debug/berth';
  const child = spawn(
    bin,
    ['serve', '--listen', '127.0.0.1:0', '--database-url', `sqlite://${dir}/berth.db`, ...extraArgs],
    { env: { ...process.env, RUST_LOG: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stderr.on('data', (chunk) => { log += chunk; });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = out.match(/Berth is running at (\S+)/);
      if (match) resolve(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`berth exited (${code}) before it was ready:\n${log}`)));
  });
  return {
    url,
    dir,
    log: () => log,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    },
  };
}

/** Debian's Chromium, headless, with no background traffic (the machine has no internet). */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

/** A fresh context in `mode`, collecting console errors and the way forms were submitted. */
export async function openPage(browser, mode, baseURL) {
  const context = await browser.newContext({ javaScriptEnabled: mode.js, baseURL });
  const page = await context.newPage();
  const errors = [];
  const submissions = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    // A server function answering 4xx is the app working (a wrong password is a 401); the
    // browser still logs the status. Anything else is a real error.
    const expected = /Failed to load resource: the server responded with a status of 4\d\d/.test(msg.text())
      && msg.location().url.includes('/api/');
    if (!expected) errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(String(err)));
  page.on('request', (req) => {
    if (req.method() === 'POST' && req.url().includes('/api/')) {
      submissions.push({ fn: new URL(req.url()).pathname, type: req.resourceType() });
    }
  });
  return { context, page, errors, submissions };
}

/** Opens `path`; in hydrated mode waits until the app is interactive. */
export async function visit(page, mode, path) {
  await page.goto(path);
  if (mode.js) await page.waitForSelector('body[data-hydrated="true"]');
}

/** Waits for a flash or alert containing `text`. */
export async function seeMessage(page, role, text) {
  await page.getByRole(role).filter({ hasText: text }).first().waitFor({ timeout: 10_000 });
}

/** Whether `locator`'s element has focus and lies within the viewport (as a person sees it). */
export async function focusedInView(page, locator) {
  const focused = await locator.evaluate((el) => el === document.activeElement || el.contains(document.activeElement));
  const box = await locator.boundingBox();
  const { height } = page.viewportSize();
  return focused && box !== null && box.y >= 0 && box.y < height;
}

/**
 * A refused form: its summary at the top of the form holds `message`, is announced
 * (role=alert) and has focus, in view; the field's own message says it too.
 */
export async function seeProblem(page, message) {
  const summary = page.locator('.form-problem');
  await summary.getByText(message).waitFor();
  assert.equal(await summary.getAttribute('role'), 'alert');
  assert.ok(await focusedInView(page, summary), 'focus is on the summary, in view');
}

/** The password of every account the specs sign up (accounts.test.mjs tests its own). */
export const PASSWORD = 'a password that is long enough';

/**
 * Signs `username` up through the sign-up form, as a person does, and waits for the signed-in
 * home page greeting `displayName`. Without one the field stays blank, which means the username.
 */
export async function signUp(page, mode, username, displayName) {
  await visit(page, mode, '/signup');
  await page.getByLabel('Email').fill(`${username}@example.com`);
  await page.getByLabel('Username').fill(username);
  if (displayName !== undefined) await page.getByLabel('Display name').fill(displayName);
  displayName ??= username;
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  const greeting = page.getByRole('heading', { name: /^Hello,/ });
  await greeting.waitFor();
  const text = await greeting.textContent();
  if (text.trim() !== `Hello, ${displayName}`) {
    throw new Error(`signed up ${username}, but the home page says ${JSON.stringify(text)}`);
  }
}

/**
 * Calls server function `name` with `form` in the session of `context` (a same-origin call,
 * as the hydrated app makes it); it must answer 200. For setting up what a spec is not about.
 */
export async function call(context, baseURL, name, form) {
  const res = await context.request.post(`${baseURL}/api/${name}`, {
    form,
    headers: { accept: 'application/json', origin: baseURL },
  });
  if (res.status() !== 200) {
    throw new Error(`${name} answered ${res.status()}: ${await res.text()}`);
  }
}

/** The link to section `name` in the section menu called `menu` ("Project", "Organization"). */
export function sectionLink(page, menu, name) {
  return page.getByRole('navigation', { name: menu }).getByRole('link', { name, exact: true });
}

/** Creates project `owner/name` in region `local` with the server function. */
export async function createProject(context, baseURL, owner, name) {
  await call(context, baseURL, 'create_project', { owner, name, description: '', region: 'local' });
}

/** A free loopback port. */
export async function freePort() {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * Berth with one region, `local`, whose KCR is Debian's docker-registry on a free loopback port,
 * configured by `berth kcr registry-config`. Resolves with Berth, the registry's host, a work
 * folder, and `stop()` for both. With `kcrName`, the region calls its KCR `kcrName:PORT`
 * (`localhost`), so a credential can name the same registry by its address.
 */
export async function startBerthWithKcr(extraArgs = [], { kcrName } = {}) {
  const run = promisify(execFile);
  const work = mkdtempSync(join(tmpdir(), 'berth-e2e-kcr-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  // The region's KCR host: the registry's address, or another name for it (`kcrName`).
  const kcrHost = kcrName ? `${kcrName}:${port}` : host;
  const config = join(work, 'berth.toml');
  writeFileSync(config, `[[regions]]\nname = "local"\ndisplay_name = "Local"\nkcr_host = "${kcrHost}"\n`);
  const berth = await startBerth(['--config', config, ...extraArgs]);
  const bin = process.env.BERTH_BIN ?? 'target/debug/berth';
  const registryConfig = join(work, 'registry.yml');
  await run(bin, [
    'kcr', 'registry-config', '--region', 'local', '--config', config,
    '--public-url', berth.url, '--database-url', `sqlite://${berth.dir}/berth.db`,
    '--listen', host, '--storage', join(work, 'storage'), '--output', registryConfig,
  ]);
  const registry = spawn('docker-registry', ['serve', registryConfig], { stdio: 'ignore' });
  for (let i = 0; ; i++) {
    try {
      await fetch(`http://${host}/v2/`);
      break;
    } catch (err) {
      if (i > 100) throw new Error(`the registry did not come up: ${err}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    berth,
    host,
    work,
    async stop() {
      registry.kill('SIGTERM');
      await berth.stop();
    },
  };
}

/** Makes a personal token with `scopes` in the session of `context`; resolves with its text. */
export async function personalToken(context, baseURL, label, scopes) {
  const made = await context.request.post(`${baseURL}/api/create_personal_token`, {
    form: { label, 'scopes[]': scopes, expires_in_days: '7' },
    headers: { accept: 'application/json', origin: baseURL },
  });
  if (made.status() !== 200) throw new Error(`create_personal_token answered ${made.status()}`);
  return (await made.json()).token;
}
