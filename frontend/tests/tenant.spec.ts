import { expect, test } from '@playwright/test';
import { api, expectLabelled, expectNoHorizontalOverflow, open, screenshot, signIn, signOut, tabTo, uniqueName, waitForInstance } from './helpers';

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
  await screenshot(page, 'tenant-create-kind');
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
    // Its network: the private address, no public one yet; a firewall made here and applied.
    await page.getByRole('tab', { name: 'Network' }).click();
    await expect(page.getByTestId('private-address')).toHaveText(/^10\.\d+\.\d+\.\d+$/);
    await expect(page.getByTestId('public-address')).toHaveText('none');
    const firewall = `fw-${name}`.slice(0, 63);
    await page.getByLabel('New firewall').fill(firewall);
    await page.getByLabel('Rules, one per line').fill('tcp 80 0.0.0.0/0\ntcp 22 198.51.100.7');
    await page.getByLabel('From the tenant network').selectOption('filtered');
    await page.getByRole('button', { name: 'Create firewall' }).click();
    await expect(page.getByLabel('Applied firewall').locator('option', { hasText: firewall })).toHaveCount(1, { timeout: 30_000 });
    await page.getByLabel('Applied firewall').selectOption({ label: firewall });
    await page.getByRole('button', { name: 'Apply', exact: true }).click();
    await expect(page.getByTestId('firewall-rules')).toHaveText('tcp 80 0.0.0.0/0\ntcp 22 198.51.100.7/32', { timeout: 30_000 });
    await expect(page.getByTestId('firewall-scope')).toContainText('from outside and from the tenant network alike');
    await screenshot(page, 'tenant-instance-network');
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
    // The name must be typed before Delete does anything.
    const confirmDelete = dialog.getByRole('button', { name: 'Delete' });
    await expect(confirmDelete).toBeDisabled();
    await dialog.getByLabel(`Type ${name} to confirm`).fill(name.slice(0, -1));
    await expect(confirmDelete).toBeDisabled();
    await dialog.getByLabel(`Type ${name} to confirm`).fill(name);
    await screenshot(page, 'tenant-delete-confirm');
    await confirmDelete.click();
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
  const nav = page.getByRole('navigation', { name: 'Main' });
  const menu = page.getByRole('button', { name: 'Menu' });

  // Dashboard and instances fit the width: nothing scrolls sideways.
  await open(page, '#/', 'Dashboard');
  await expectNoHorizontalOverflow(page);
  await screenshot(page, 'phone-dashboard');
  await open(page, '#/instances', 'Instances');
  await expectNoHorizontalOverflow(page);
  await screenshot(page, 'phone-instances');

  // The main navigation sits behind the menu button, opens, navigates and closes again.
  await expect(nav.getByRole('link', { name: 'Dashboard' })).toBeHidden();
  await expect(menu).toBeVisible();
  await menu.click();
  await expect(menu).toHaveAttribute('aria-expanded', 'true');
  await expect(nav.getByRole('link', { name: 'Dashboard' })).toBeVisible();
  await expectNoHorizontalOverflow(page);
  await screenshot(page, 'phone-instances-menu');
  await nav.getByRole('link', { name: 'Dashboard' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Dashboard' })).toBeHidden();
  await menu.click();
  await nav.getByRole('link', { name: 'Activity' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Activity' })).toBeVisible();
  // A tenant admin also reads the audit log and the console sessions.
  await expect(page.getByRole('region', { name: 'Audit log' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Console sessions' })).toBeVisible();
  await expect(page.locator('main .loading')).toHaveCount(0, { timeout: 30_000 });
  await expect(page.locator('main [role="alert"]')).toHaveCount(0);
  await expectNoHorizontalOverflow(page);
  await screenshot(page, 'phone-activity');
});

test('the wizard works with the keyboard alone, and every field has a label', async ({ page }) => {
  const name = uniqueName('e2e-keys');
  await signIn(page, 'bob');
  await open(page, '#/instances/new', 'New instance');
  const next = page.getByRole('button', { name: 'Next' });

  // Kind: the first choice has the focus; the arrow keys choose.
  await expectLabelled(page);
  const jail = page.getByRole('radio', { name: /^Jail/ });
  await expect(jail).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(page.getByRole('radio', { name: /^Virtual machine/ })).toBeChecked();
  await page.keyboard.press('ArrowUp');
  await expect(jail).toBeChecked();
  await tabTo(page, next);
  await page.keyboard.press('Enter');

  // Image and name: typed; Enter in a field goes on.
  await expectLabelled(page);
  await expect(page.getByLabel('Image')).toBeFocused();
  await page.keyboard.type('busybox');
  await tabTo(page, page.getByLabel('Name', { exact: true }));
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type(name);
  await page.keyboard.press('Enter');

  // Size: the type has the focus; the fields below follow it.
  await expectLabelled(page);
  await expect(page.getByRole('radio', { name: /^j1\.nano/ })).toBeFocused();
  await expect(page.getByRole('radio', { name: /^j1\.nano/ })).toBeChecked();
  await tabTo(page, page.getByLabel('vCPUs'));
  await tabTo(page, next);
  await page.keyboard.press('Enter');

  // Network: do not start it (Space unticks the box).
  await expectLabelled(page);
  const start = page.getByLabel('Start the instance once it is created');
  await tabTo(page, start);
  await page.keyboard.press('Space');
  await expect(start).not.toBeChecked();
  await tabTo(page, next);
  await page.keyboard.press('Enter');

  // Review, then create.
  await expectLabelled(page);
  await expect(page.getByRole('group', { name: 'Review' })).toContainText(name);
  await tabTo(page, page.getByTestId('create'));
  await page.keyboard.press('Enter');
  const refused = page.locator('[role="alert"][data-code="no_host_for_kind"]');
  const outcome = await Promise.race([
    page.waitForURL(/#\/instances\/[0-9a-f-]{36}/, { timeout: 30_000 }).then(() => 'accepted' as const),
    refused.waitFor({ timeout: 30_000 }).then(() => 'refused' as const),
  ]);
  if (outcome === 'refused') {
    // The wizard was completed all the same; the server has no host for jails.
    await expect(refused).toBeFocused();
    return;
  }
  const id = /#\/instances\/([0-9a-f-]{36})/.exec(page.url())![1];
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
  const removed = await api(page, 'DELETE', `/instances/${id}`);
  expect([202, 409], await removed.text()).toContain(removed.status());
  if (removed.status() === 409) {
    // still being created: delete it once that is done
    await waitForInstance(page, id, 'stopped');
    expect((await api(page, 'DELETE', `/instances/${id}`)).status()).toBe(202);
  }
  await waitForInstance(page, id, 'gone');
});

test('a viewer sees the instances but cannot change them', async ({ page }) => {
  await signIn(page, 'vera');
  await expect(page.getByTestId('who')).toContainText('viewer');
  await open(page, '#/instances', 'Instances');
  await expect(page.getByTestId('new-instance')).toHaveCount(0);
  await expect(page.locator('main').getByRole('button', { name: /^(Start|Stop|Restart|Delete) / })).toHaveCount(0);
});

// A user keeps SSH public keys: the panel shows each with the fingerprint OpenSSH computes, refuses
// a private key pasted by mistake, and removes a key after asking.
test('bob keeps an SSH key, sees its fingerprint, and removes it', async ({ page }) => {
  const { generateKeyPairSync, createHash } = await import('node:crypto');
  const raw = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' }).subarray(-32);
  const part = (bytes: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, bytes.length]), bytes]);
  const blob = Buffer.concat([part(Buffer.from('ssh-ed25519')), part(raw)]);
  const publicKey = `ssh-ed25519 ${blob.toString('base64')} bob@e2e`;
  const fingerprint = `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
  const name = uniqueName('key');

  await signIn(page, 'bob');
  await open(page, '#/ssh-keys', 'SSH keys');
  await expectLabelled(page);
  await page.getByLabel('Public key').fill('-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\n-----END OPENSSH PRIVATE KEY-----');
  await page.getByLabel('Name').fill(name);
  await page.getByRole('button', { name: 'Add key' }).click();
  await expect(page.locator('.field-error').first()).toContainText('this is a private key');

  await page.getByLabel('Public key').fill(publicKey);
  await page.getByLabel('Name').fill(name);
  await page.getByRole('button', { name: 'Add key' }).click();
  const row = page.locator(`tr[data-key="${name}"]`);
  await expect(row.getByTestId('fingerprint')).toHaveText(fingerprint, { timeout: 30_000 });
  await expect(row).toContainText('ssh-ed25519 (256 bits)');
  await screenshot(page, 'tenant-ssh-keys');

  await row.getByRole('button', { name: `Remove ${name}` }).click();
  await page.getByRole('dialog', { name: `Remove ${name}?` }).getByRole('button', { name: 'Remove' }).click();
  await expect(row).toHaveCount(0, { timeout: 30_000 });
});

// The portal's session cookie changes nothing for another site: a change needs the header the
// portal sends and, when the browser names it, the portal's own origin.
test('a change through the session needs the portal header and its own origin', async ({ page }) => {
  const name = uniqueName('csrf');
  await signIn(page, 'bob');
  await open(page, '#/', 'Dashboard');
  const bare = await page.evaluate(async (firewall) => {
    const response = await fetch('/api/v1/firewalls', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: firewall, rules: [] }),
    });
    return { status: response.status, body: await response.json() };
  }, name);
  expect(bare.status).toBe(403);
  expect(bare.body.error).toBe('cross_site_refused');
  const foreign = await page.request.post('/api/v1/firewalls', {
    headers: { 'X-Requested-With': 'JavaScript', Origin: 'http://elsewhere.example' }, data: { name, rules: [] },
  });
  expect(foreign.status()).toBe(403);
  expect((await api(page, 'GET', '/firewalls')).ok()).toBe(true);
  expect((await (await api(page, 'GET', '/firewalls')).json()).items.map((f: { name: string }) => f.name)).not.toContain(name);

  const own = await page.evaluate(async (firewall) => (await fetch('/api/v1/firewalls', {
    method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Requested-With': 'JavaScript' },
    body: JSON.stringify({ name: firewall, rules: [] }),
  })).status, name);
  expect(own).toBe(202);
  const created = (await (await api(page, 'GET', '/firewalls')).json()).items.find((f: { name: string }) => f.name === name);
  expect((await api(page, 'DELETE', `/firewalls/${created.id}`)).status()).toBe(202);
});
