import { expect, test } from '@playwright/test';
import { api, deleteInstanceAsAdmin, open, screenshot, signIn, signOut, skipLoudly, uniqueName, waitForInstance } from './helpers';
import { cents, micros, parseCsv } from './support/money';

// The platform's acceptance tests through the portal, against the real panel, its hosts and its
// Keycloak. They skip, saying so loudly, only where no host of the server runs jails.

const CSV_COLUMNS = ['tenant_id', 'tenant', 'period_start', 'period_end', 'instance_id', 'instance_name', 'kind',
  'resource', 'description', 'quantity', 'unit', 'unit_price', 'cost', 'currency', 'charge_start', 'charge_end'];

const INSTANCE_URL = /#\/instances\/([0-9a-f-]{36})/;

test('the acme member runs a busybox jail and its serial console answers hostname; the globex member does not see it', async ({ page, browser }) => {
  const name = uniqueName('e2e-console');

  // bob is a member of acme.
  await signIn(page, 'bob');
  await expect(page.getByTestId('who')).toContainText('bob');

  // The wizard: a jail from the busybox image.
  await open(page, '#/instances/new', 'New instance');
  await page.getByRole('radio', { name: /^Jail/ }).check();
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel('Image').fill('busybox');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('radio', { name: /^j1\.nano/ }).check();
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByLabel('Start the instance once it is created')).toBeChecked();
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByRole('group', { name: 'Review' })).toContainText(name);
  await page.getByTestId('create').click();
  const refused = page.locator('[role="alert"][data-code="no_host_for_kind"]');
  const outcome = await Promise.race([
    page.waitForURL(INSTANCE_URL, { timeout: 30_000 }).then(() => 'accepted' as const),
    refused.waitFor({ timeout: 30_000 }).then(() => 'refused' as const),
  ]);
  if (outcome === 'refused') skipLoudly(`no host of this server runs jails: ${await refused.textContent()}`);
  const instanceUrl = page.url();
  const id = INSTANCE_URL.exec(instanceUrl)![1];

  try {
    // It reaches running; the page follows its state by itself.
    await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
    const state = page.getByTestId('instance-state').locator('[data-state]');
    await expect(state).toHaveAttribute('data-state', 'running', { timeout: 120_000 });

    // Its serial console: hostname answers the jail's name.
    await page.getByRole('tab', { name: 'Serial console' }).click();
    const status = page.getByTestId('console-status');
    await expect(status).toHaveText('Connected', { timeout: 30_000 });
    await page.locator('.xterm').click();
    await page.keyboard.type('hostname\r');
    // A line of its own that is exactly the name (a prompt may show the name too).
    const answer = page.locator('.xterm-rows > div').filter({ hasText: new RegExp(`^\\s*${name}\\s*$`) });
    await expect(answer.first()).toBeVisible({ timeout: 15_000 });
    await screenshot(page, 'acceptance-serial-console');

    // bob signs out through the portal, which ends his session at Keycloak too: the next visit asks
    // for a login again instead of signing him straight back in.
    await signOut(page);
    await page.goto('/');
    await expect(page.locator('#username')).toBeVisible({ timeout: 60_000 });

    // dave is a member of globex: the jail is neither in his list nor behind its address.
    await signIn(page, 'dave');
    await expect(page.getByTestId('who')).toContainText('dave');
    await open(page, '#/instances', 'Instances');
    await expect(page.locator(`tr[data-instance="${name}"]`)).toHaveCount(0);
    await expect(page.locator('main')).not.toContainText(name);
    await screenshot(page, 'acceptance-other-tenant-instances');
    await page.goto(instanceUrl);
    await expect(page.getByRole('heading', { level: 1, name: 'Instance not found' })).toBeVisible();
    await expect(page.locator('main')).not.toContainText(name);
    await screenshot(page, 'acceptance-other-tenant-instance');
  } finally {
    await deleteInstanceAsAdmin(browser, id);
  }
});

test('the platform admin downloads the billing CSV of the current period, and its totals match the page', async ({ page }) => {
  await signIn(page, 'admin');

  // Usage of its own, whatever else ran before: a tenant of the test's runs a small jail for a few
  // seconds, which is then deleted, so that this tenant's bill no longer changes.
  const tenant = uniqueName('e2e-billing');
  const registered = await api(page, 'POST', '/admin/tenants', { slug: tenant, displayName: 'Billing acceptance test' });
  expect(registered.status(), await registered.text()).toBe(202);
  const created = await api(page, 'POST', '/instances', { name: 'billed', kind: 'jail', image: 'busybox', type: 'j1.nano', start: true, tenant });
  if (created.status() === 409 && (await created.json()).error === 'no_host_for_kind') {
    skipLoudly(`no host of this server runs jails: ${(await created.json()).message}`);
  }
  expect(created.status(), await created.text()).toBe(202);
  const id = (await created.json()).target as string;
  await waitForInstance(page, id, 'running');
  await page.waitForTimeout(5_000);
  const deleted = await api(page, 'DELETE', `/instances/${id}`);
  expect(deleted.status(), await deleted.text()).toBe(202);
  await waitForInstance(page, id, 'gone');

  // The report of the current period (the page's default): a row per tenant and a total per currency.
  const now = new Date();
  const period = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
  await open(page, '#/admin/billing', 'Billing');
  await expect(page.getByLabel('Period')).toHaveValue(period);
  await expect(page.getByRole('heading', { level: 2, name: `Report for ${period}` })).toBeVisible();
  await screenshot(page, 'acceptance-billing');

  const pageTenants = new Map<string, { currency: string; cost: number; amountDue: number }>();
  for (const row of await page.getByTestId('billing-tenant').all()) {
    pageTenants.set((await row.getAttribute('data-tenant'))!, {
      currency: (await row.getAttribute('data-currency'))!,
      cost: micros((await row.getByTestId('tenant-cost').textContent())!),
      amountDue: micros((await row.getByTestId('tenant-amount-due').textContent())!),
    });
  }
  const pageTotals = new Map<string, { cost: number; amountDue: number }>();
  for (const row of await page.getByTestId('billing-total').all()) {
    pageTotals.set((await row.getAttribute('data-currency'))!, {
      cost: micros((await row.getByTestId('period-cost').textContent())!),
      amountDue: micros((await row.getByTestId('period-amount-due').textContent())!),
    });
  }
  expect(pageTenants.get(tenant), `the test's tenant ${tenant} is on the page`).toBeDefined();
  expect(pageTenants.get(tenant)!.cost, 'the jail that ran costs something').toBeGreaterThan(0);

  // The CSV the "Export CSV" button downloads: every tenant's line items.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Export CSV' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe(`billing-${period}.csv`);
  const { readFileSync } = await import('node:fs');
  const csv = parseCsv(readFileSync(await download.path(), 'utf8'));
  expect(csv.header).toEqual(CSV_COLUMNS);
  expect(csv.rows.length, 'the CSV has line items').toBeGreaterThan(0);
  const csvTenants = new Map<string, { currency: string; cost: number }>();
  const csvTotals = new Map<string, number>();
  for (const row of csv.rows) {
    expect(new Date(row.period_start).toISOString().slice(0, 7)).toBe(period);
    const line = csvTenants.get(row.tenant) ?? { currency: row.currency, cost: 0 };
    expect(row.currency).toBe(line.currency);
    line.cost += micros(row.cost);
    csvTenants.set(row.tenant, line);
    csvTotals.set(row.currency, (csvTotals.get(row.currency) ?? 0) + micros(row.cost));
  }

  // The test's tenant no longer changes: its cost agrees to the millionth. So does everyone's when
  // no instance of any tenant lives on (their bills change by the second while one does).
  expect(csvTenants.get(tenant)?.cost, `${tenant}: the CSV's Σ cost`).toBe(pageTenants.get(tenant)!.cost);
  const instances = await api(page, 'GET', '/instances?limit=500');
  expect(instances.status()).toBe(200);
  const live = ((await instances.json()).items as { name: string; state: string }[]).filter((instance) => instance.state !== 'deleted');
  if (live.length === 0) {
    for (const [name, line] of pageTenants) expect(csvTenants.get(name)?.cost ?? 0, `${name}: the CSV's Σ cost`).toBe(line.cost);
    for (const [currency, total] of pageTotals) expect(csvTotals.get(currency) ?? 0, `${currency}: the CSV's Σ cost`).toBe(total.cost);
  } else {
    test.info().annotations.push({ type: 'note', description: `${live.length} instances live on; other tenants compared to the cent only` });
  }
  // Every tenant and every currency's total agree to the cent.
  for (const name of csvTenants.keys()) expect(pageTenants.has(name), `${name} of the CSV is on the page`).toBe(true);
  for (const [name, line] of pageTenants) {
    const fromCsv = csvTenants.get(name) ?? { currency: line.currency, cost: 0 };
    expect(fromCsv.currency, `${name}: currency`).toBe(line.currency);
    expect(cents(fromCsv.cost), `${name}: the CSV's Σ cost in cents equals the page's amount due`).toBe(cents(line.amountDue));
    expect(cents(fromCsv.cost), `${name}: and the page's cost in cents`).toBe(cents(line.cost));
  }
  expect([...pageTotals.keys()].sort()).toEqual([...new Set([...pageTenants.values()].map((line) => line.currency))].sort());
  for (const [currency, total] of pageTotals) {
    const fromCsv = csvTotals.get(currency) ?? 0;
    expect(cents(fromCsv), `${currency}: the CSV's Σ cost in cents equals the page's total amount due`).toBe(cents(total.amountDue));
    expect(cents(fromCsv), `${currency}: and the page's total cost in cents`).toBe(cents(total.cost));
    expect(total.cost, `${currency}: the report is not all zeros`).toBeGreaterThan(0);
  }
});
