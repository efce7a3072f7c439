import { expect, test } from '@playwright/test';
import { expectLabelled, open, screenshot, signIn, uniqueName } from './helpers';

test('a platform admin sees hosts, tenants and the platform pages', async ({ page }) => {
  await signIn(page, 'admin');
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Hosts' })).toBeVisible();

  await open(page, '#/', 'Dashboard');
  await expect(page.getByRole('region', { name: 'Platform capacity' })).toBeVisible();
  await screenshot(page, 'admin-dashboard');

  await open(page, '#/admin/hosts', 'Hosts');
  const platform = page.getByRole('region', { name: /^Platform: \d+ hosts?$/ });
  await expect(platform).toBeVisible();
  await expect(platform.getByRole('table')).toContainText('Allocatable');
  // Each registered host shows physical, allocatable, allocated and used capacity and its ratios.
  const hosts = page.locator('section.host');
  for (let index = 0; index < (await hosts.count()); index++) {
    await expect(hosts.nth(index).getByRole('table')).toContainText('Ratio');
  }
  await screenshot(page, 'admin-hosts');
  if ((await hosts.count()) > 0) {
    // Change a host's CPU overcommit ratio and put it back.
    const host = hosts.first();
    const name = (await host.getAttribute('data-host')) ?? '';
    await host.getByText('Change state, overcommit ratios and reserve').click();
    const ratio = host.getByLabel('CPU ratio');
    const before = await ratio.inputValue();
    await ratio.fill('2.5');
    await host.getByRole('button', { name: `Save ${name}` }).click();
    const vcpuRow = page.locator(`section.host[data-host="${name}"] tr`).filter({ hasText: 'vCPUs' });
    await expect(vcpuRow).toContainText('2.5×');
    await page.locator(`section.host[data-host="${name}"]`).getByText('Change state, overcommit ratios and reserve').click();
    await page.locator(`section.host[data-host="${name}"]`).getByLabel('CPU ratio').fill(before);
    await page.locator(`section.host[data-host="${name}"]`).getByRole('button', { name: `Save ${name}` }).click();
    await expect(vcpuRow).not.toContainText('2.5×');

    // Give it a public address, see it free in the pool, take it out again.
    const pool = page.locator(`section.host[data-host="${name}"] details.host-addresses`);
    await pool.locator('summary').click();
    const address = `198.51.100.${100 + (Date.now() % 100)}`;
    await pool.getByLabel('Addresses to add').fill(address);
    await pool.getByRole('button', { name: 'Add' }).click();
    const row = pool.locator(`tr[data-address="${address}"]`);
    await expect(row).toContainText('whole, to one instance');
    await expect(row).toContainText('free');
    await row.getByRole('button', { name: `Remove ${address}` }).click();
    await page.getByRole('dialog', { name: `Remove ${address}?` }).getByRole('button', { name: 'Remove' }).click();
    await expect(row).toHaveCount(0);
  }

  await open(page, '#/admin/tenants', 'Tenants');
  const slug = uniqueName('e2e-tenant');
  await page.getByLabel('Slug').fill(slug);
  await page.getByLabel('Display name').fill('End-to-end tenant');
  await page.getByRole('button', { name: 'Register tenant' }).click();
  await expect(page.locator(`tr[data-tenant="${slug}"]`)).toBeVisible();
  // Its quota and plan: see them, change a limit.
  await page.getByRole('button', { name: `Quota and plan of ${slug}` }).click();
  const quota = page.getByRole('region', { name: `Quota and plan of ${slug}` });
  await expect(quota.locator('tr[data-resource="instances"]')).toBeVisible();
  await quota.getByText('Change limits and plan').click();
  await quota.getByLabel('Instances', { exact: true }).fill('7');
  await quota.getByRole('button', { name: `Save the quota of ${slug}` }).click();
  await expect(quota.locator('tr[data-resource="instances"]')).toContainText('7');
  await expectLabelled(page);
  await screenshot(page, 'admin-tenant-quota');

  await page.getByLabel('Slug').fill('Not A Label');
  await page.getByRole('button', { name: 'Register tenant' }).click();
  await expect(page.getByText('lower-case letters only')).toBeVisible();
  await screenshot(page, 'admin-tenants');

  for (const [hash, heading, name] of [
    ['#/admin/images', 'Public images', 'admin-public-images'],
    ['#/admin/billing', 'Billing', 'admin-billing'],
    ['#/admin/consoles', 'Console sessions', 'admin-console-sessions'],
  ] as const) {
    await open(page, hash, heading);
    // Each page shows its data, or says plainly that this server does not offer it yet.
    await expect(page.locator('main [role="alert"]')).toHaveCount(0);
    await screenshot(page, name);
  }
});

test('a tenant member does not get the platform pages', async ({ page }) => {
  await signIn(page, 'dave');
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Hosts' })).toHaveCount(0);
  await page.goto('/#/admin/hosts');
  await expect(page.getByRole('heading', { level: 1, name: 'Not found' })).toBeVisible();
});
