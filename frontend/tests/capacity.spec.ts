import { expect, test } from '@playwright/test';
import { api, deleteInstanceAsAdmin, open, screenshot, signIn, uniqueName, waitForInstance } from './helpers';

// Allocation and use over time: the tenant's quota against its limits and the hosts it runs on
// (by pseudonym, with their overcommit), a host's capacity for the admin, and the billed months.

test('the tenant sees its quota over time', async ({ browser }) => {
  let id = '';
  try {
  for (const [label, viewport] of [['', { width: 1440, height: 900 }], ['phone-', { width: 390, height: 844 }]] as const) {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    try {
      await signIn(page, 'bob');
      if (!id) {
        const created = await api(page, 'POST', '/instances', { name: uniqueName('charted'), kind: 'jail', image: 'busybox', vcpus: 1, memoryMiB: 128, diskGiB: 1, start: true });
        expect(created.status(), await created.text()).toBe(202);
        id = ((await created.json()) as { target: string }).target;
        await waitForInstance(page, id, 'running');
      }
      await open(page, '#/', 'Dashboard');
      const history = page.getByRole('region', { name: 'Quota over time' });
      for (const figure of ['vcpus', 'memory', 'disk']) {
        await expect(history.getByTestId(`quota-history-${figure}`).locator('canvas')).toBeVisible();
        await expect(history.getByTestId(`quota-history-${figure}`)).not.toHaveAttribute('data-points', '0');
      }
      await expect(history.getByTestId('quota-history-memory').locator('.u-legend')).toContainText('limit');
      await history.getByRole('button', { name: 'Last week' }).click();
      await expect(history.getByRole('button', { name: 'Last week' })).toHaveAttribute('aria-pressed', 'true');
      await expect(history).toContainText('one point per hour');
      await history.scrollIntoViewIfNeeded();
      await screenshot(page, `${label}tenant-quota-history`);
    } finally {
      await context.close();
    }
  }
  } finally {
    if (id) await deleteInstanceAsAdmin(browser, id);
  }
});

test('the admin sees a host\'s capacity over time and the months billed', async ({ page }) => {
  await signIn(page, 'admin');
  await open(page, '#/admin/hosts', 'Hosts');
  const host = page.locator('section.host').first();
  const name = (await host.getAttribute('data-host')) ?? '';
  await host.getByText('Capacity over time').click();
  await expect(page.getByTestId(`host-history-${name}-memory`).locator('canvas')).toBeVisible();
  await expect(page.getByTestId(`host-history-${name}-vcpus`).locator('.u-legend')).toContainText('allocatable');
  await page.getByTestId(`host-history-${name}`).scrollIntoViewIfNeeded();
  await screenshot(page, 'admin-host-history');

  await open(page, '#/admin/billing', 'Billing');
  const months = page.getByTestId('chart-billed-per-month');
  await expect(months.locator('canvas')).toBeVisible();
  await expect(months).toHaveAttribute('data-points', '6');
  await months.scrollIntoViewIfNeeded();
  await screenshot(page, 'admin-billed-per-month');
});
