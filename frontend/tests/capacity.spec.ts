import { type Browser, expect, test } from '@playwright/test';
import { api, deleteInstanceAsAdmin, open, screenshot, signIn, uniqueName, waitForInstance } from './helpers';

// Allocation and use over time: the tenant's quota against its limits and the hosts it runs on
// (by pseudonym, with their overcommit), a host's capacity for the admin, and the billed months.

/** What the platform admin sees of the host an instance runs on: its id, name, and vCPU and memory capacity. */
async function hostOfInstanceAsAdmin(browser: Browser, instanceId: string) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await signIn(page, 'admin');
    const instance = (await (await api(page, 'GET', `/instances/${encodeURIComponent(instanceId)}`)).json()) as { host?: string; hostId?: string };
    const hosts = (await (await api(page, 'GET', '/admin/hosts')).json()) as { items: AdminHost[] };
    const hostId = instance.hostId ?? instance.host;
    const host = hosts.items.find((candidate) => candidate.id === hostId || candidate.name === hostId);
    expect(host, `the host of ${instanceId} (${hostId}) among ${hosts.items.map((item) => item.id).join(', ')}`).toBeDefined();
    return host as AdminHost;
  } finally {
    await context.close();
  }
}

interface AdminHost {
  id: string;
  name: string;
  vcpus: { physical: number; ratio: number; allocated: number };
  memoryMiB: { physical: number; ratio: number; allocated: number };
}

const twoDecimals = (value: number) => new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 }).format(value);

test('the tenant sees its quota over time and the overcommit of the hosts it runs on', async ({ browser }) => {
  let id = '';
  let host: AdminHost | null = null;
  try {
  for (const [label, viewport] of [['', { width: 1440, height: 900 }], ['phone-', { width: 390, height: 844 }]] as const) {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    // A request the browser could not complete shows as "The panel cannot be reached": name it.
    // Requests the portal itself abandons (a page left, the event stream closed) end as ERR_ABORTED
    // and are not shown; any other network error is.
    const failed: string[] = [];
    page.on('requestfailed', (request) => {
      const path = new URL(request.url()).pathname;
      if (path.startsWith('/api/') && request.failure()?.errorText !== 'net::ERR_ABORTED') failed.push(`${request.method()} ${request.url()}: ${request.failure()?.errorText}`);
    });
    try {
      await signIn(page, 'bob');
      if (!id) {
        const created = await api(page, 'POST', '/instances', { name: uniqueName('charted'), kind: 'jail', image: 'busybox', vcpus: 1, memoryMiB: 128, diskGiB: 1, start: true });
        expect(created.status(), await created.text()).toBe(202);
        id = ((await created.json()) as { target: string }).target;
        await waitForInstance(page, id, 'running');
        host = await hostOfInstanceAsAdmin(browser, id);
      }
      await open(page, '#/', 'Dashboard');
      const history = page.getByRole('region', { name: 'Quota over time' });
      for (const figure of ['vcpus', 'memory', 'disk']) {
        await expect(history.getByTestId(`quota-history-${figure}`).locator('canvas')).toBeVisible();
        await expect(history.getByTestId(`quota-history-${figure}`)).not.toHaveAttribute('data-points', '0');
      }
      await expect(history.getByTestId('quota-history-memory').locator('.u-legend')).toContainText('limit');
      await history.getByRole('button', { name: 'Last hour' }).click();
      await expect(history.getByRole('button', { name: 'Last hour' })).toHaveAttribute('aria-pressed', 'true');
      await expect(history).toContainText('one point per minute');
      await expect(history.getByTestId('quota-history-memory')).not.toHaveAttribute('data-points', '0');
      await history.getByRole('button', { name: 'Last week' }).click();
      await expect(history.getByRole('button', { name: 'Last week' })).toHaveAttribute('aria-pressed', 'true');
      await expect(history.getByRole('button', { name: 'Last hour' })).toHaveAttribute('aria-pressed', 'false');
      await expect(history).toContainText('one point per hour');
      await history.scrollIntoViewIfNeeded();
      await screenshot(page, `${label}tenant-quota-history`);

      // The host the jail runs on, by pseudonym only, with the provider's ratios and what is held there.
      const hosts = page.getByRole('region', { name: 'Where your instances run' });
      const row = hosts.getByRole('row', { name: new RegExp(`host-${host!.id.slice(0, 8)}`) });
      await expect(row).toBeVisible();
      await expect(hosts).not.toContainText(host!.name);
      await expect(row.getByRole('cell').nth(2)).toHaveText(`up to ${twoDecimals(host!.vcpus.ratio)}`);
      await expect(row.getByRole('cell').nth(3)).toHaveText(twoDecimals(host!.vcpus.allocated / host!.vcpus.physical));
      await expect(row.getByRole('cell').nth(4)).toHaveText(`up to ${twoDecimals(host!.memoryMiB.ratio)}`);
      await expect(row.getByRole('cell').nth(5)).toHaveText(twoDecimals(host!.memoryMiB.allocated / host!.memoryMiB.physical));
      await expect(hosts.getByRole('alert')).toHaveCount(0);
      expect(failed, 'API requests the browser could not complete').toEqual([]);
      await hosts.scrollIntoViewIfNeeded();
      await screenshot(page, `${label}tenant-hosts-overcommit`);
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
