import { expect, test, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';

const SCREENSHOTS = 'test-results/screenshots';

/** Signs in through the real Keycloak login form, starting from the portal. */
export async function signIn(page: Page, user: string, password = user): Promise<void> {
  await page.goto('/');
  // The portal finds no session and goes to /login, which sends the browser to Keycloak.
  const username = page.locator('#username');
  await username.waitFor({ state: 'visible', timeout: 60_000 });
  await username.fill(user);
  await page.locator('#password').fill(password);
  await Promise.all([
    page.waitForURL((url) => url.pathname === '/' && !url.searchParams.has('code'), { timeout: 60_000 }),
    page.locator('#kc-login').click(),
  ]);
  await expect(page.getByTestId('who')).toBeVisible();
}

/**
 * Signs out (RP-initiated logout) and waits until the identity provider asks for a login again.
 * A panel whose /logout does not run the logout yet (it answers 404: the path needs the
 * "authenticated" HTTP permission) is noted on the test, and the browser's cookies are cleared
 * instead, so the next user still signs in afresh.
 */
export async function signOut(page: Page): Promise<void> {
  const [response] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/logout', { timeout: 30_000 }),
    page.getByTestId('sign-out').click(),
  ]);
  if (response.status() === 404) {
    test.info().annotations.push({
      type: 'known issue',
      description: 'GET /logout answers 404: the panel does not run the RP-initiated logout yet; cookies cleared instead',
    });
    console.warn('warning: GET /logout answered 404; signing out by clearing the cookies');
    await page.context().clearCookies();
    await page.goto('/');
  }
  await page.locator('#username').waitFor({ state: 'visible', timeout: 60_000 });
}

/** Opens a page of the portal by its hash route and waits until nothing is loading. */
export async function open(page: Page, hash: string, heading: string | RegExp): Promise<void> {
  await page.goto(`/${hash}`);
  await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
  await expect(page.locator('main .loading')).toHaveCount(0, { timeout: 30_000 });
}

/** Saves a full-page screenshot as test-results/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });
}

/** A name no earlier run used. */
export const uniqueName = (prefix: string) => `${prefix}-${Date.now().toString(36)}`;

/** Every visible form control on the page has a label (or an accessible name of its own). */
export async function expectLabelled(page: Page): Promise<void> {
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>('input, select, textarea')]
      .filter((control) => control.type !== 'hidden' && !control.closest('.xterm') && control.getClientRects().length > 0)
      .filter((control) => (control.labels?.length ?? 0) === 0 && !control.getAttribute('aria-label') && !control.closest('label'))
      .map((control) => control.outerHTML.slice(0, 120)));
  expect(unlabelled).toEqual([]);
}
