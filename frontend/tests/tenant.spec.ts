import { expect, test } from '@playwright/test';
import { expectLabelled, open, screenshot, signIn, signOut, uniqueName } from './helpers';

// A tenant member's day: sign in, look around, create a jail through the wizard, watch it, and a
// user of another tenant never sees it.
test('bob creates a jail through the wizard; dave of another tenant does not see it', async ({ page }) => {
  const name = uniqueName('e2e-bob');

  await signIn(page, 'bob');
  await open(page, '#/', 'Dashboard');
  await expect(page.getByTestId('who')).toContainText('bob');
  await expect(page.getByRole('meter', { name: 'Instances' })).toBeVisible();
  await screenshot(page, 'tenant-dashboard');

  await open(page, '#/instances', 'Instances');
  await screenshot(page, 'tenant-instances');

  await page.getByTestId('new-instance').click();
  await expect(page.getByRole('heading', { level: 1, name: 'New instance' })).toBeVisible();
  await expectLabelled(page);
  await page.getByRole('radio', { name: /^Jail/ }).check();
  await page.getByRole('button', { name: 'Next' }).click();
  await expectLabelled(page);
  await page.getByLabel('Image').fill('busybox');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByRole('button', { name: 'Next' }).click();
  await expectLabelled(page);
  await page.getByRole('radio', { name: /^j1\.nano/ }).check();
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByRole('group', { name: 'Network' })).toBeVisible();
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByRole('group', { name: 'Review' })).toContainText(name);
  await expect(page.getByRole('group', { name: 'Review' }).locator('.quota-check')).toContainText('Instances: needs 1');
  await screenshot(page, 'tenant-create-review');
  await page.getByTestId('create').click();

  // Either the instance is accepted and its page shows its state live, or the panel refuses it
  // (no host runs jails on this machine yet) and the wizard shows the API's message.
  const refused = page.locator('[role="alert"][data-code="no_host_for_kind"]');
  const accepted = page.waitForURL(/#\/instances\/[0-9a-f-]{36}/, { timeout: 30_000 }).then(() => 'accepted' as const);
  const outcome = await Promise.race([accepted, refused.waitFor({ timeout: 30_000 }).then(() => 'refused' as const)]);
  if (outcome === 'refused') {
    await expect(refused).toContainText('no ready host can run instances of kind jail');
    await screenshot(page, 'tenant-create-refused');
  } else {
    await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
    const state = page.getByTestId('instance-state').locator('[data-state]');
    await expect(state).toHaveAttribute('data-state', /provisioning|stopped|starting|running|error|crashed/);
    await screenshot(page, 'tenant-instance-created');
    // The page follows the state by itself (event stream, or polling without one) until it runs.
    // (Created with "start", it passes through stopped on its way.)
    await expect(state).toHaveAttribute('data-state', 'running', { timeout: 120_000 });
    const settled = 'running';
    await screenshot(page, 'tenant-instance');
    // Resize it live: more memory.
    await page.locator('details.resize > summary').click();
    await page.getByLabel('Memory (MiB)').fill('128');
    await page.getByRole('button', { name: 'Apply the new sizes' }).click();
    await expect(page.locator('dl.details')).toContainText('128 MiB', { timeout: 60_000 });
    await page.getByRole('tab', { name: 'Activity' }).click();
    await expect(page.locator('.operation[data-operation]').first()).toBeVisible();
    await screenshot(page, 'tenant-instance-activity');
    // The console tab connects, or says the gateway is not there yet; leaving it closes the socket.
    await page.getByRole('tab', { name: 'Serial console' }).click();
    await expect(page.getByTestId('console-status')).toBeVisible();
    await expect(page.getByTestId('console-status')).not.toHaveText('Not connected', { timeout: 15_000 });
    await screenshot(page, 'tenant-instance-console');

    // The list shows it too; deleting it asks first.
    await open(page, '#/instances', 'Instances');
    const row = page.locator(`tr[data-instance="${name}"]`);
    await expect(row).toHaveAttribute('data-state', settled ?? '');
    await row.getByRole('button', { name: `Delete ${name}` }).click();
    const dialog = page.getByRole('dialog', { name: `Delete ${name}?` });
    await expect(dialog).toBeVisible();
    await screenshot(page, 'tenant-delete-confirm');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await expect(row).toHaveCount(0, { timeout: 120_000 });
  }

  await open(page, '#/activity', 'Activity');
  if (outcome === 'accepted') {
    await expect(page.locator('.operation[data-state="succeeded"]').filter({ hasText: 'Create instance' }).first()).toBeVisible();
  }
  await screenshot(page, 'tenant-activity');
  await open(page, '#/images', 'Images');
  await screenshot(page, 'tenant-images');

  await signOut(page);

  await signIn(page, 'dave');
  await open(page, '#/instances', 'Instances');
  await expect(page.locator(`tr[data-instance="${name}"]`)).toHaveCount(0);
  await expect(page.locator('main')).not.toContainText(name);
  await screenshot(page, 'other-tenant-instances');
});

test('the portal works on a phone-sized screen', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page, 'alice');
  await open(page, '#/instances', 'Instances');
  const menu = page.getByRole('button', { name: 'Menu' });
  await expect(menu).toBeVisible();
  await menu.click();
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Activity' })).toBeVisible();
  await screenshot(page, 'phone-instances-menu');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Activity' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Activity' })).toBeVisible();
  // A tenant admin also reads the audit log and the console sessions.
  await expect(page.getByRole('region', { name: 'Audit log' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Console sessions' })).toBeVisible();
  await expect(page.locator('main .loading')).toHaveCount(0, { timeout: 30_000 });
  await expect(page.locator('main [role="alert"]')).toHaveCount(0);
  await screenshot(page, 'phone-activity');
});

test('a viewer sees the instances but cannot change them', async ({ page }) => {
  await signIn(page, 'vera');
  await expect(page.getByTestId('who')).toContainText('viewer');
  await open(page, '#/instances', 'Instances');
  await expect(page.getByTestId('new-instance')).toHaveCount(0);
  await expect(page.locator('main').getByRole('button', { name: /^(Start|Stop|Restart|Delete) / })).toHaveCount(0);
});
