import { expect, request, test } from '@playwright/test';
import { open, screenshot, signIn, uniqueName } from './helpers';

// A tenant admin makes an API token in the portal; a script (no cookie, only the token) lists the
// tenant's instances with it; after the admin revokes it, the script's next call answers 401.
test('alice creates an API token, a script uses it, and revoking it ends it', async ({ page, baseURL }) => {
  const name = uniqueName('e2e-token');
  await signIn(page, 'alice');
  await open(page, '#/tokens', 'API tokens');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Role').selectOption('tenant-viewer');
  await page.getByRole('button', { name: 'Create token' }).click();
  const secretField = page.getByTestId('token-secret');
  await expect(secretField).toHaveValue(/^mpt_[0-9a-f]{16}_/);
  const secret = await secretField.inputValue();
  await expect(page.locator(`[data-token="${name}"]`)).toContainText('active');
  await screenshot(page, 'tenant-api-tokens');

  const script = await request.newContext({ baseURL, extraHTTPHeaders: { Authorization: `Bearer ${secret}` } });
  const listed = await script.get('/api/v1/instances');
  expect(listed.status()).toBe(200);
  const tenants = ((await listed.json()).items as { tenant: string }[]).map((instance) => instance.tenant);
  expect(tenants.every((tenant) => tenant === 'acme')).toBe(true);

  await page.getByRole('button', { name: `Revoke ${name}` }).click();
  await page.getByRole('button', { name: 'Revoke', exact: true }).click();
  await expect(page.locator(`[data-token="${name}"]`)).toContainText('revoked');
  const refused = await script.get('/api/v1/instances');
  expect(refused.status()).toBe(401);
  await script.dispose();
});

// Members see no token page in the navigation.
test('a tenant member has no API tokens entry', async ({ page }) => {
  await signIn(page, 'bob');
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'API tokens' })).toHaveCount(0);
});
