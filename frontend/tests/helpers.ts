import { expect, test, type APIResponse, type Browser, type Locator, type Page } from '@playwright/test';
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
 * Signs out through the portal's "Sign out" (RP-initiated logout): the panel ends its session and
 * sends the browser to Keycloak's end-session endpoint, which ends the Keycloak session too, so the
 * portal then finds no session and Keycloak asks for a login again.
 */
export async function signOut(page: Page): Promise<void> {
  const [response] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/logout', { timeout: 30_000 }),
    page.waitForRequest((r) => new URL(r.url()).pathname.endsWith('/protocol/openid-connect/logout'), { timeout: 30_000 }),
    page.getByTestId('sign-out').click(),
  ]);
  expect(response.status(), 'GET /logout sends the browser on to the identity provider').toBeLessThan(400);
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

/** Calls the panel's API with the page's session, as the portal does. */
export function api(page: Page, method: string, path: string, body?: unknown): Promise<APIResponse> {
  return page.request.fetch(`/api/v1${path}`, {
    method,
    headers: { Accept: 'application/json', 'X-Requested-With': 'JavaScript' },
    data: body,
  });
}

/** Waits until the instance is in `state` (or, for 'gone', until it answers 404 or is deleted). */
export async function waitForInstance(page: Page, id: string, state: string, timeout = 120_000): Promise<void> {
  await expect.poll(async () => {
    const response = await api(page, 'GET', `/instances/${encodeURIComponent(id)}`);
    if (response.status() === 404) return 'gone';
    const instance = (await response.json()) as { state?: string };
    return state === 'gone' && instance.state === 'deleted' ? 'gone' : instance.state;
  }, { timeout, intervals: [500, 1000, 2000], message: `instance ${id} reaches ${state}` }).toBe(state);
}

/**
 * Deletes an instance as the platform admin, in a browser context of its own (whoever is signed in
 * on the test's page stays signed in), and waits until it is gone. For clean-ups.
 */
export async function deleteInstanceAsAdmin(browser: Browser, id: string): Promise<void> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await signIn(page, 'admin');
    const response = await api(page, 'DELETE', `/instances/${encodeURIComponent(id)}`);
    expect([202, 404], `deleting ${id}: ${response.status()} ${await response.text()}`).toContain(response.status());
    await waitForInstance(page, id, 'gone');
  } finally {
    await context.close();
  }
}

/**
 * A skip that cannot be missed: only for a host that truly cannot do what the test needs (no host
 * of this server runs jails). It prints a warning and annotates the report.
 */
export function skipLoudly(reason: string): never {
  console.warn(`warning: SKIPPED "${test.info().title}": ${reason}`);
  test.info().annotations.push({ type: 'skipped: host cannot run it', description: reason });
  test.skip(true, reason);
  throw new Error(`skipped: ${reason}`);
}

/** Presses Tab (at most `limit` times) until `target` has the focus; fails when it never gets it. */
export async function tabTo(page: Page, target: Locator, limit = 15): Promise<void> {
  for (let presses = 0; presses < limit; presses++) {
    if (await target.evaluate((element) => element === document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  await expect(target, `reachable with Tab within ${limit} presses`).toBeFocused({ timeout: 1 });
}

/** Nothing sticks out to the right of the window: the page does not scroll sideways. */
export async function expectNoHorizontalOverflow(page: Page): Promise<void> {
  const overflow = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const scrolls = (element: Element | null): boolean => {
      for (let node = element; node && node !== document.body; node = node.parentElement) {
        if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(node).overflowX)) return true;
      }
      return false;
    };
    const sticking = [...document.body.querySelectorAll('*')]
      .filter((element) => element.getClientRects().length > 0 && element.getBoundingClientRect().right > width + 1 && !scrolls(element.parentElement))
      .map((element) => `${element.tagName.toLowerCase()}${element.className ? `.${String(element.className).split(' ').join('.')}` : ''} ends at ${Math.round(element.getBoundingClientRect().right)}px`);
    return { width, scrollWidth: document.documentElement.scrollWidth, sticking: sticking.slice(0, 10) };
  });
  expect(overflow.sticking, `elements wider than the ${overflow.width}px window`).toEqual([]);
  expect(overflow.scrollWidth, 'the page scrolls sideways').toBeLessThanOrEqual(overflow.width);
}
