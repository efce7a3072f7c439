import { expect, test } from '@playwright/test';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { skipLoudly } from './helpers';

// The CLI's login as its users do it: the device authorization grant. The CLI prints an address
// and a code; a person opens the address in a browser, signs in to the identity provider and
// approves; the CLI, polling meanwhile, then holds bob's login and `whoami` answers bob.

const launcher = resolve('..', 'cli', 'bin', 'multiplicity');
const jar = resolve('..', 'cli', 'target', 'multiplicity-cli.jar');

test('the CLI logs in with the device grant approved in the browser', async ({ page, baseURL }) => {
  if (!existsSync(jar)) skipLoudly(`the CLI is not built (${jar}): make build builds it`);
  const home = mkdtempSync(join(tmpdir(), 'cli-login-'));
  const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config') };
  try {
    const login = spawn('bash', [launcher, '--url', baseURL!, 'login'], { env });
    let out = '';
    let err = '';
    login.stdout.on('data', (chunk) => { out += String(chunk); });
    login.stderr.on('data', (chunk) => { err += String(chunk); });
    const exited = new Promise<number>((done) => login.on('exit', (code) => done(code ?? -1)));

    await expect.poll(() => err, { timeout: 60_000, message: 'the CLI prints where to approve the login' }).toMatch(/\(or open (\S+)\)/);
    const address = /\(or open (\S+)\)/.exec(err)![1];
    expect(address).toContain('/device');

    await page.goto(address);
    // Keycloak may first show the code to confirm, then its login form, then a consent page.
    const username = page.locator('#username');
    const codeForm = page.locator('#device-user-code');
    await expect(username.or(codeForm)).toBeVisible({ timeout: 60_000 });
    if (await codeForm.isVisible()) await page.locator('input[type=submit], button[type=submit]').first().click();
    await username.fill('bob');
    await page.locator('#password').fill('bob');
    await page.locator('#kc-login').click();
    const accept = page.locator('input[name=accept], button[name=accept]');
    const done = page.getByText(/Device Login Successful|successful/i);
    await expect(accept.or(done).first()).toBeVisible({ timeout: 60_000 });
    if (await accept.isVisible()) await accept.click();

    expect(await exited, `login exited: ${out} ${err}`).toBe(0);
    expect(out + err).toContain('as bob');
    const whoami = spawnSync('bash', [launcher, 'whoami', '-o', 'json'], { env, encoding: 'utf8' });
    expect(whoami.status, whoami.stderr).toBe(0);
    expect(JSON.parse(whoami.stdout).username).toBe('bob');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
