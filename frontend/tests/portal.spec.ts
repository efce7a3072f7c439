import { expect, test, type Page } from '@playwright/test';
import { api, expectNoHorizontalOverflow, open, screenshot, signIn, skipLoudly, uniqueName, waitForInstance } from './helpers';

// The portal's bugs of issue 21, each as a user meets it, against the real panel: the platform
// admin's dashboard, a viewer and the create wizard, confirmations that name what they affect,
// times with their zone, tables that keep "1 GiB" on one line, the audit log in words.

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

test('the platform admin\'s dashboard shows the month\'s billing, not a refusal', async ({ page }) => {
  await signIn(page, 'admin');
  await open(page, '#/', 'Dashboard');
  await expect(page.getByRole('heading', { name: 'Billed this month (all tenants)' })).toBeVisible();
  await expect(page.getByTestId('cost').first()).toHaveText(/\d/);
  await expect(page.locator('main [role="alert"]')).toHaveCount(0);
  await expect(page.locator('main')).not.toContainText('does not allow');
});

test('a viewer is told at once that they cannot create instances', async ({ page }) => {
  await signIn(page, 'vera');
  await page.goto('/#/instances/new');
  await expect(page.getByTestId('cannot-create')).toContainText('lets you see the tenant\'s instances, not create them');
  await expect(page.getByRole('form', { name: 'New instance' })).toHaveCount(0);
});

test('the create wizard refuses a long or taken name at the name step and offers no Create over quota', async ({ page }) => {
  await signIn(page, 'bob');
  // A real instance of bob's tenant whose name the wizard must refuse.
  const taken = uniqueName('e2e-taken');
  const created = await api(page, 'POST', '/instances', { name: taken, kind: 'jail', image: 'busybox', type: 'j1.nano', start: false });
  if (created.status() === 409 || created.status() === 422) {
    const body = await created.json() as { error?: string };
    if (body.error === 'no_host_for_kind') skipLoudly('no host of this server runs jails');
  }
  expect(created.status(), await created.text()).toBe(202);
  const id = (await created.json() as { target: string }).target;
  try {
    await page.goto('/#/instances/new');
    await page.getByRole('radio', { name: /^Jail/ }).check();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('Image').fill('busybox');
    const nameField = page.getByLabel('Name', { exact: true });
    await nameField.fill('a'.repeat(300));
    await page.getByRole('button', { name: 'Next' }).click();
    await expect(page.getByText('at most 63 characters; this one has 300')).toBeVisible();
    expect((await nameField.inputValue()).length, 'the name is not cut silently').toBe(300);
    await nameField.fill(taken);
    await page.getByRole('button', { name: 'Next' }).click();
    await expect(page.getByText(`an instance named ${taken} exists already`)).toBeVisible();
    await expect(page.getByRole('group', { name: 'Which image?' }), 'still at the name step').toBeVisible();

    await nameField.fill(`${taken}-2`);
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('Disk (GiB)').fill('4096');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('button', { name: 'Next' }).click();
    await expect(page.getByRole('group', { name: 'Review' }).locator('.quota-check')).toContainText('over quota');
    await expect(page.getByTestId('over-quota')).toContainText('Over quota: Disk');
    await expect(page.getByTestId('create')).toBeDisabled();
    await page.getByRole('button', { name: 'Back' }).click();
    await page.getByRole('button', { name: 'Back' }).click();
    await page.getByLabel('Disk (GiB)').fill('1');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('button', { name: 'Next' }).click();
    await expect(page.getByTestId('create')).toBeEnabled();
    await expect(page.getByTestId('over-quota')).toHaveCount(0);
  } finally {
    await api(page, 'DELETE', `/instances/${id}`);
  }
});

/** The cell's text `needle` lies on one line (its range has one box). */
async function onOneLine(page: Page, selector: string, needle: string): Promise<boolean> {
  return page.locator(selector).first().evaluate((element, { text, selector }) => {
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const content = (node.textContent ?? '').replace(/\u00a0/g, ' ');
      const at = content.indexOf(text);
      if (at < 0) continue;
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + text.length);
      const lines = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)));
      return lines.size === 1;
    }
    throw new Error(`"${text}" is not in ${selector}`);
  }, { text: needle, selector });
}

test('stopping and deleting name the instance, times carry their zone, the table keeps sizes on one line; host state changes ask', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, timezoneId: 'Europe/Berlin', locale: 'de-DE' });
  const page = await context.newPage();
  let id = '';
  try {
    await signIn(page, 'bob');
    const name = uniqueName('e2e-confirm');
    const created = await api(page, 'POST', '/instances', { name, kind: 'jail', image: 'busybox', type: 'j1.nano', start: true });
    if (created.status() !== 202 && ((await created.json()) as { error?: string }).error === 'no_host_for_kind') skipLoudly('no host of this server runs jails');
    expect(created.status()).toBe(202);
    id = (await created.json() as { target: string }).target;
    await waitForInstance(page, id, 'running');

    // The list at 1440 px: "1 GiB" and "… ago" stay whole; money and numbers in German.
    await open(page, '#/instances', 'Instances');
    const row = `tr[data-instance="${name}"]`;
    expect(await onOneLine(page, `${row} td[data-label="Size"]`, '1 GiB')).toBe(true);
    const createdText = (await page.locator(`${row} td[data-label="Created"]`).innerText()).replace(/\u00a0/g, ' ').trim();
    expect(createdText).toMatch(/just now|ago/);
    expect(await onOneLine(page, `${row} td[data-label="Created"]`, createdText)).toBe(true);
    await open(page, `#/instances/${id}`, name);
    // Created "7. Dez. 2026, 01:05:03 MEZ": the zone is said.
    await expect(page.locator('dl.details dd').nth(11)).toHaveText(/\d{2}:\d{2}:\d{2} (MEZ|MESZ)$/);

    // Stop asks first, naming the instance; Cancel changes nothing.
    await page.getByRole('button', { name: 'Stop' }).click();
    const stopDialog = page.getByRole('dialog', { name: `Stop ${name}?` });
    await expect(stopDialog).toContainText(`Stopping ${name} (jail, busybox`);
    await stopDialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(stopDialog).toHaveCount(0);
    expect(((await (await api(page, 'GET', `/instances/${id}`)).json()) as { desiredState: string }).desiredState).toBe('running');
    await page.getByRole('button', { name: 'Stop' }).click();
    await stopDialog.getByRole('button', { name: 'Stop' }).click();
    await waitForInstance(page, id, 'stopped');

    // Delete wants the name typed.
    await page.getByRole('button', { name: 'Delete' }).click();
    const deleteDialog = page.getByRole('dialog', { name: `Delete ${name}?` });
    const confirmDelete = deleteDialog.getByRole('button', { name: 'Delete' });
    await expect(confirmDelete).toBeDisabled();
    await deleteDialog.getByLabel(`Type ${name} to confirm`).fill('wrong');
    await expect(confirmDelete).toBeDisabled();
    await deleteDialog.getByLabel(`Type ${name} to confirm`).fill(name);
    await confirmDelete.click();
    await waitForInstance(page, id, 'gone');
    id = '';
  } finally {
    if (id) await api(page, 'DELETE', `/instances/${id}`);
    await context.close();
  }

  // The platform admin changes a host's state only after a dialog that names it and what it holds.
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  try {
    await signIn(admin, 'admin');
    await open(admin, '#/admin/hosts', 'Hosts');
    const hosts = ((await (await api(admin, 'GET', '/admin/hosts')).json()) as { items: { id: string; name: string; state: string }[] }).items;
    const host = hosts[0];
    await admin.locator('details.host-edit > summary').first().click();
    await admin.getByLabel('State').first().selectOption('draining');
    await admin.getByRole('button', { name: `Save ${host.name}` }).click();
    const dialog = admin.getByRole('dialog', { name: `Set ${host.name} to draining?` });
    await expect(dialog).toContainText(`${host.name} goes from ${host.state} to draining`);
    await expect(dialog).toContainText(/It holds (no instance|\d+ instances?)/);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    const after = ((await (await api(admin, 'GET', '/admin/hosts')).json()) as { items: { id: string; state: string }[] }).items.find((h) => h.id === host.id);
    expect(after?.state, 'Cancel leaves the host as it was').toBe(host.state);
    // "last seen" says when, to the second, with the zone, on hover.
    await expect(admin.getByTestId('host-last-seen').first()).toHaveAttribute('title', /\d{2}:\d{2}:\d{2}.*(UTC|GMT)/);
  } finally {
    await adminContext.close();
  }
});

test('the audit log in words, with filters, at 1440×900 and on a phone', async ({ browser }) => {
  for (const [label, viewport] of [['', { width: 1440, height: 900 }], ['phone-', { width: 390, height: 844 }]] as const) {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    try {
      await signIn(page, 'alice');
      // Something to audit: an SSH key added and removed.
      const key = await api(page, 'POST', '/ssh-keys', { name: uniqueName('audit-key'), publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBMB5uihmuiIWCmtfTwgMn9fkaEaab1w8JRepp4q4t4r e2e@test' });
      expect(key.status(), await key.text()).toBeLessThan(300);
      const keyId = ((await key.json()) as { target: string }).target;
      await api(page, 'DELETE', `/ssh-keys/${keyId}`);
      await open(page, '#/activity', 'Activity');
      const audit = page.getByRole('region', { name: 'Audit log' });
      await expect(audit.locator('tbody tr').first()).toBeVisible();
      await expect(audit.locator('tbody')).toContainText('SSH key added');
      // No raw event codes, no raw ids as names, no long-form IPv6 for loopback.
      await expect(audit.locator('td[data-label="What"]').filter({ hasText: /^[a-z-]+\.[a-z.-]+$/ })).toHaveCount(0);
      await expect(audit.locator('td[data-label="Target"]').filter({ hasText: UUID })).toHaveCount(0);
      await expect(audit.locator('td[data-label="From"]').filter({ hasText: '0:0:0:0' })).toHaveCount(0);
      await expect(page.getByRole('region', { name: 'Console sessions' }).locator('td[data-label="From"]').filter({ hasText: '0:0:0:0' })).toHaveCount(0);
      await page.getByTestId('audit-action').selectOption({ label: 'SSH key removed' });
      await expect(audit.locator('tbody tr[data-action="ssh-key.remove"]').first()).toBeVisible();
      await expect(audit.locator('tbody tr:not([data-action="ssh-key.remove"])')).toHaveCount(0);
      await page.getByTestId('audit-actor').fill('alice');
      await expect(audit.locator('tbody tr').first()).toContainText('alice');
      if (label) await expectNoHorizontalOverflow(page);
      await audit.scrollIntoViewIfNeeded();
      await screenshot(page, `${label}tenant-audit-filtered`);
    } finally {
      await context.close();
    }
  }
});

test('the tenant\'s usage and billing page: a month, per instance, line items, CSV and FOCUS that add up to it', async ({ browser }) => {
  // A jail that ran a few seconds this month: the bill has lines whatever ran before this test.
  {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await signIn(page, 'bob');
      const created = await api(page, 'POST', '/instances', { name: uniqueName('billed'), kind: 'jail', image: 'busybox', vcpus: 1, memoryMiB: 128, diskGiB: 1, start: true });
      expect(created.status(), await created.text()).toBe(202);
      const id = ((await created.json()) as { target: string }).target;
      await waitForInstance(page, id, 'running');
      await page.waitForTimeout(2_000);
      expect((await api(page, 'DELETE', `/instances/${encodeURIComponent(id)}`)).status()).toBe(202);
      await waitForInstance(page, id, 'gone');
    } finally {
      await context.close();
    }
  }
  for (const [label, viewport] of [['', { width: 1440, height: 900 }], ['phone-', { width: 390, height: 844 }]] as const) {
    const context = await browser.newContext({ viewport, acceptDownloads: true });
    const page = await context.newPage();
    try {
      await signIn(page, 'bob');
      await open(page, '#/billing', 'Usage and billing');
      const month = new Date().toISOString().slice(0, 7);
      const report = await (await api(page, 'GET', `/billing?period=${month}`)).json() as { total: number; currency: string; lines: { cost: number; instanceName: string }[] };
      await expect(page.getByTestId('bill-amount-due')).toHaveText(/\d/);
      expect(report.lines.length, 'the jail above ran this month').toBeGreaterThan(0);
      {
        const instances = page.getByRole('region', { name: 'Per instance' });
        await expect(instances.locator('tbody tr')).toHaveCount(new Set(report.lines.map((line) => line.instanceName)).size);
        await expect(page.getByRole('region', { name: 'Line items' }).locator('tbody tr')).toHaveCount(report.lines.length);
        await expect(page.getByTestId('chart-cost').locator('canvas')).toBeVisible();
        await expect(page.getByTestId('chart-allocated').locator('canvas')).toBeVisible();
        // The time axis names days; the chart spans the whole month.
        await expect(page.getByTestId('chart-cost').locator('.u-legend')).toContainText('per day');
      }
      if (!label) {
        // CSV and FOCUS downloads: their costs add up to the page's report.
        const sum = (text: string, column: string) => {
          const [header, ...rows] = text.trim().split('\n');
          const index = header.split(',').indexOf(column);
          expect(index, `${column} in ${header}`).toBeGreaterThanOrEqual(0);
          return rows.reduce((total, row) => total + Math.round(Number(row.split(',')[index]) * 1e6), 0);
        };
        const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-csv').click()]);
        const csvText = await (await import('node:fs/promises')).readFile(await csv.path(), 'utf8');
        expect(csv.suggestedFilename()).toBe(`billing-acme-${month}.csv`);
        expect(sum(csvText, 'cost')).toBe(Math.round(report.total * 1e6));
        const [focus] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-focus').click()]);
        const focusText = await (await import('node:fs/promises')).readFile(await focus.path(), 'utf8');
        expect(focus.suggestedFilename()).toBe(`billing-acme-${month}-focus.csv`);
        expect(sum(focusText, 'BilledCost')).toBe(Math.round(report.total * 1e6));
        // Another month: the address follows, the page loads it.
        await page.getByTestId('billing-period').selectOption({ index: 1 });
        await expect(page).toHaveURL(/#\/billing\?period=\d{4}-\d{2}$/);
        await expect(page.getByTestId('bill-amount-due')).toHaveText(/\d/);
        await open(page, '#/billing', 'Usage and billing');
      } else {
        await expectNoHorizontalOverflow(page);
      }
      await expect(page.getByTestId('bill-amount-due')).toBeVisible();
      await expect(page.getByTestId('chart-cost').locator('canvas')).toBeVisible();
      await screenshot(page, `${label}tenant-billing`);
    } finally {
      await context.close();
    }
  }
});

test('instance metrics: ranges from an hour to a month, a time axis, missing minutes drawn as gaps', async ({ browser }) => {
  for (const [label, viewport] of [['', { width: 1440, height: 900 }], ['phone-', { width: 390, height: 844 }]] as const) {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    try {
      await signIn(page, 'bob');
      const id = '00000000-0000-4000-8000-0000000000d1';
      const now = Date.now();
      await page.route(`**/api/v1/instances/${id}`, (route) => route.fulfill({ json: {
        id, name: 'metrics-demo', tenant: 'acme', kind: 'jail', type: 'j1.nano', image: 'busybox', vcpus: 1, memoryMiB: 64, diskGiB: 1,
        desiredState: 'running', state: 'running', createdAt: new Date(now - 86_400_000).toISOString(), updatedAt: new Date(now).toISOString(),
      } }));
      // Samples each minute of the last hour but for ten minutes in the middle (the host was away).
      const requested: { from: string; to: string }[] = [];
      await page.route(`**/api/v1/instances/${id}/metrics**`, (route) => {
        const url = new URL(route.request().url());
        const from = Date.parse(url.searchParams.get('from')!);
        const to = Date.parse(url.searchParams.get('to')!);
        requested.push({ from: url.searchParams.get('from')!, to: url.searchParams.get('to')! });
        const items = [];
        for (let minute = 59; minute >= 1; minute--) {
          const at = now - minute * 60_000;
          if (minute > 25 && minute <= 35) continue;
          if (at < from || at >= to) continue;
          items.push({ at: new Date(at).toISOString(), running: true, cpuPercent: 5 + (minute % 7), memoryMiB: 40 + (minute % 5), diskUsedGiB: 0.2, netRxBytes: minute * 1000, netTxBytes: minute * 500 });
        }
        return route.fulfill({ json: { items } });
      });
      await page.goto(`/#/instances/${id}?tab=metrics`);
      const cpu = page.getByTestId('chart-cpu');
      await expect(cpu.locator('canvas')).toBeVisible();
      await expect(cpu, '49 samples and one gap').toHaveAttribute('data-points', '50');
      await expect(cpu, 'the ten missing minutes are one gap, not a line and not zero').toHaveAttribute('data-gaps', '1');
      // Over the plot, the legend names the time under the cursor and the value there.
      await cpu.locator('.u-over').hover({ position: { x: 20, y: 20 } });
      await expect(cpu.locator('.u-legend .u-series').first()).toContainText(/\d{1,2}:\d{2}/);
      await expect(cpu.locator('.u-legend .u-series').nth(1)).toContainText('%');
      // A day: one request for the day; a week: one a day (the API answers 5000 samples at most).
      requested.length = 0;
      await page.getByRole('button', { name: 'Last day' }).click();
      await expect(page.getByRole('button', { name: 'Last day' })).toHaveAttribute('aria-pressed', 'true');
      await expect.poll(() => requested.length).toBe(1);
      expect(Date.parse(requested[0].to) - Date.parse(requested[0].from)).toBe(86_400_000);
      await expect(page.getByTestId('metrics-count')).toContainText('49 samples');
      requested.length = 0;
      await page.getByRole('button', { name: 'Last week' }).click();
      await expect.poll(() => requested.length).toBe(7);
      await page.getByRole('button', { name: 'Last 30 days' }).click();
      await page.getByRole('button', { name: 'Last day' }).click();
      await expect(page.getByTestId('metrics-count')).toContainText('49 samples');
      if (label) await expectNoHorizontalOverflow(page);
      await screenshot(page, `${label}tenant-instance-metrics-day`);
    } finally {
      await context.close();
    }
  }
});

/** Creates a busybox jail of the signed-in user's tenant; skips loudly when no host runs jails. */
async function createJail(page: Page, name: string, start: boolean): Promise<string> {
  const created = await api(page, 'POST', '/instances', { name, kind: 'jail', image: 'busybox', type: 'j1.nano', start });
  if (created.status() !== 202 && ((await created.json()) as { error?: string }).error === 'no_host_for_kind') skipLoudly('no host of this server runs jails');
  expect(created.status(), await created.text()).toBe(202);
  return ((await created.json()) as { target: string }).target;
}

const readClipboard = (page: Page) => page.evaluate(() => navigator.clipboard.readText());

test('copy buttons put the instance\'s id and address, the audit entry\'s target and the host\'s id on the clipboard', async ({ browser }) => {
  const context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
  const page = await context.newPage();
  let id = '';
  try {
    await signIn(page, 'alice');
    const name = uniqueName('e2e-copy');
    id = await createJail(page, name, true);
    await waitForInstance(page, id, 'running');
    const { address } = (await (await api(page, 'GET', `/instances/${id}`)).json()) as { address?: string };
    expect(address, 'a running jail has an address').toMatch(/^\d+\.\d+\.\d+\.\d+$/);

    // The instance page: the id and the address, each with its own button and a toast that says so.
    await open(page, `#/instances/${id}`, name);
    await page.evaluate(() => navigator.clipboard.writeText('nothing copied yet'));
    await page.getByRole('button', { name: 'Copy the id' }).click();
    await expect.poll(() => readClipboard(page)).toBe(id);
    await expect(page.locator('.toast').filter({ hasText: 'Copied the id' })).toBeVisible();
    await page.getByRole('button', { name: 'Copy the address' }).click();
    await expect.poll(() => readClipboard(page)).toBe(address);

    // The instance list: the address of the row's instance, not of another row.
    await open(page, '#/instances', 'Instances');
    await page.evaluate(() => navigator.clipboard.writeText('nothing copied yet'));
    await page.locator(`tr[data-instance="${name}"]`).getByRole('button', { name: `Copy the address of ${name}` }).click();
    await expect.poll(() => readClipboard(page)).toBe(address);

    // The audit log shows the instance by name; its button copies the full id.
    await open(page, '#/activity', 'Activity');
    const created = page.getByRole('region', { name: 'Audit log' }).locator('tbody tr[data-action="instance.create"]').filter({ hasText: name });
    await expect(created).toHaveCount(1);
    await created.getByRole('button', { name: 'Copy the instance id' }).click();
    await expect.poll(() => readClipboard(page)).toBe(id);
  } finally {
    if (id) await api(page, 'DELETE', `/instances/${id}`);
    await context.close();
  }

  // The platform admin's hosts page: each host's full id, though the page shows eight characters.
  const adminContext = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
  const admin = await adminContext.newPage();
  try {
    await signIn(admin, 'admin');
    const hosts = ((await (await api(admin, 'GET', '/admin/hosts')).json()) as { items: { id: string; name: string }[] }).items;
    expect(hosts.length).toBeGreaterThan(0);
    await open(admin, '#/admin/hosts', 'Hosts');
    for (const host of hosts) {
      await admin.locator(`section[data-host="${host.name}"]`).getByRole('button', { name: `Copy the id of ${host.name}` }).click();
      await expect.poll(() => readClipboard(admin)).toBe(host.id);
    }
  } finally {
    await adminContext.close();
  }
});

/** The texts of a table's column, top to bottom, as shown. */
const column = (region: import('@playwright/test').Locator, label: string) =>
  region.locator(`tbody tr:visible td[data-label="${label}"]`).allInnerTexts();

test('tables sort by a column header, both ways, and the filter box narrows the rows to matches', async ({ page }) => {
  await signIn(page, 'alice');
  // Two instances of the test's, created b then a, so that name order and creation order differ.
  const prefix = uniqueName('e2e-sort');
  const names = [`${prefix}-b`, `${prefix}-a`];
  const ids: string[] = [];
  try {
    for (const name of names) ids.push(await createJail(page, name, true));
    for (const id of ids) await waitForInstance(page, id, 'running');

    await open(page, '#/instances', 'Instances');
    const list = page.locator('main');
    const ours = async () => (await column(list, 'Name')).map((text) => text.trim()).filter((text) => text.startsWith(prefix));
    const nameHeader = page.getByRole('columnheader', { name: 'Name' });
    await nameHeader.getByRole('button').click();
    await expect(nameHeader).toHaveAttribute('aria-sort', 'ascending');
    expect(await ours()).toEqual([`${prefix}-a`, `${prefix}-b`]);
    const ascending = (await column(list, 'Name')).map((text) => text.trim());
    const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
    expect(ascending, 'every row in name order').toEqual([...ascending].sort(collator.compare));
    await nameHeader.getByRole('button').click();
    await expect(nameHeader).toHaveAttribute('aria-sort', 'descending');
    expect((await column(list, 'Name')).map((text) => text.trim())).toEqual([...ascending].reverse());
    // "Created" sorts by the time, not by its text ("just now" for both).
    const createdHeader = page.getByRole('columnheader', { name: 'Created' });
    await createdHeader.getByRole('button').click();
    await expect(createdHeader).toHaveAttribute('aria-sort', 'ascending');
    await expect(nameHeader, 'one column sorts at a time').toHaveAttribute('aria-sort', 'none');
    expect(await ours()).toEqual(names);
    await createdHeader.getByRole('button').click();
    expect(await ours()).toEqual([...names].reverse());
    // The list follows a change of state by itself and keeps the order the user chose.
    await nameHeader.getByRole('button').click();
    await nameHeader.getByRole('button').click();
    await expect(nameHeader).toHaveAttribute('aria-sort', 'descending');
    const descending = (await column(list, 'Name')).map((text) => text.trim());
    expect((await api(page, 'POST', `/instances/${ids[1]}/stop`)).status()).toBe(202);
    await expect(page.locator(`tr[data-instance="${prefix}-a"]`)).toHaveAttribute('data-state', /stopping|stopped/, { timeout: 60_000 });
    await expect(nameHeader, 'still sorted after the list refreshed').toHaveAttribute('aria-sort', 'descending');
    expect((await column(list, 'Name')).map((text) => text.trim())).toEqual(descending);

    // The bill's tables: the filter box keeps the rows that contain what is typed.
    await expect.poll(async () => {
      const bill = (await (await api(page, 'GET', `/billing?period=${new Date().toISOString().slice(0, 7)}`)).json()) as { lines?: { instanceName: string }[] };
      return names.every((name) => (bill.lines ?? []).some((line) => line.instanceName === name));
    }, { timeout: 60_000, message: 'both instances are on the bill' }).toBe(true);
    await open(page, '#/billing', 'Usage and billing');
    const perInstance = page.getByRole('region', { name: 'Per instance' });
    const rows = perInstance.locator('tbody tr');
    const total = await rows.count();
    expect(total).toBeGreaterThanOrEqual(2);
    const filter = perInstance.getByRole('searchbox', { name: 'Filter cost per instance' });
    await filter.fill(`${prefix}-A`);
    await expect(perInstance.locator('tbody tr:visible')).toHaveCount(1);
    await expect(perInstance.locator('tbody tr:visible')).toContainText(`${prefix}-a`);
    await filter.fill(prefix);
    await expect(perInstance.locator('tbody tr:visible')).toHaveCount(2);
    await filter.fill('no-such-instance-anywhere');
    await expect(perInstance.locator('tbody tr:visible')).toHaveCount(0);
    await expect(perInstance.getByText('No row matches.')).toBeVisible();
    await filter.fill('');
    await expect(perInstance.locator('tbody tr:visible')).toHaveCount(total);
    await expect(perInstance.getByText('No row matches.')).toBeHidden();
    // Sorting the bill's instances by their total: numbers in numeric order.
    const totalHeader = perInstance.getByRole('columnheader', { name: 'Total' });
    await totalHeader.getByRole('button').click();
    const keys = await perInstance.locator('tbody tr td[data-label="Total"]').evaluateAll((cells) => cells.map((cell) => Number((cell as HTMLElement).dataset.sort)));
    expect(keys.every((key) => Number.isFinite(key)), `the totals sort by their amount: ${keys}`).toBe(true);
    expect(keys).toEqual([...keys].sort((a, b) => a - b));
  } finally {
    for (const id of ids) await api(page, 'DELETE', `/instances/${id}`);
  }
});

test('the ready local host was seen just now, and its heartbeat keeps it so', async ({ page }) => {
  await signIn(page, 'admin');
  type Host = { id: string; name: string; state: string; local: boolean; lastSeen: string };
  const localHost = async () => ((await (await api(page, 'GET', '/admin/hosts')).json()) as { items: Host[] }).items.find((host) => host.local && host.state === 'ready');
  const before = await localHost();
  expect(before, 'a ready local host').toBeTruthy();
  // The heartbeat moves "last seen" while the host is ready (it stayed at the panel's start before).
  await expect.poll(async () => Date.parse((await localHost())!.lastSeen), { timeout: 30_000 }).toBeGreaterThan(Date.parse(before!.lastSeen));
  await open(page, '#/admin/hosts', 'Hosts');
  const lastSeen = page.locator(`section[data-host="${before!.name}"]`).getByTestId('host-last-seen');
  await expect(lastSeen).toHaveText('just now');
  await expect(page.locator(`section[data-host="${before!.name}"]`)).toContainText('last seen just now');
  // Still "just now" a minute later, on a fresh look.
  await page.waitForTimeout(50_000);
  await open(page, '#/admin/hosts', 'Hosts');
  await expect(lastSeen).toHaveText('just now');
});
