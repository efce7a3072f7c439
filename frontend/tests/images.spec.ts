import { expect, test, type Browser, type Page } from '@playwright/test';
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { api, expectLabelled, open, screenshot, signIn, uniqueName } from './helpers';
import { sha256, tarGz } from './support/tarball';

// The image catalog in the portal against the real catalog API: a tenant's private jail image from
// creation to deletion, with a refused upload, a moved channel and a share with another tenant.

async function signedIn(browser: Browser, user: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await signIn(page, user);
  return page;
}

/** Uploads a file as a new version through the page's form. */
async function upload(page: Page, file: { name: string; buffer: Buffer }, version: string, channels = ''): Promise<void> {
  const form = page.getByRole('form', { name: 'Upload a new version' });
  await form.getByLabel('File').setInputFiles({ name: file.name, mimeType: 'application/gzip', buffer: file.buffer });
  await form.getByLabel('Version', { exact: true }).fill(version);
  await form.getByLabel('Channels').fill(channels);
  await form.getByRole('button', { name: 'Upload' }).click();
}

test('alice uploads a private jail image, is refused a malicious one, moves a channel and shares it with globex', async ({ browser }) => {
  const name = uniqueName('e2e-hello');
  const first = tarGz([{ name: 'etc' }, { name: 'etc/hello', content: 'hello from the catalog\n' }]);
  const second = tarGz([{ name: 'etc' }, { name: 'etc/hello', content: 'hello again, version 1.1\n' }]);
  const evil = tarGz([{ name: 'etc' }, { name: 'etc/hello', content: 'hello\n' }, { name: '../evil', content: 'escaped\n' }]);

  const alice = await signedIn(browser, 'alice');
  const dave = await signedIn(browser, 'dave');
  let imageId: string | null = null;
  try {
    // A new image: the form, then its page.
    await open(alice, '#/images', 'Images');
    await alice.getByTestId('new-image').click();
    await expect(alice.getByRole('heading', { level: 1, name: 'New image' })).toBeVisible();
    await expectLabelled(alice);
    await alice.getByLabel('Name', { exact: true }).fill(name);
    await alice.getByLabel('Kind').selectOption('jail');
    await alice.getByLabel('OS', { exact: true }).fill('alpine');
    await alice.getByLabel('Description').fill('A greeting in /etc/hello');
    await alice.getByRole('button', { name: 'Create image' }).click();
    await alice.waitForURL(/#\/images\/[0-9a-f-]{36}$/);
    imageId = decodeURIComponent(new URL(alice.url()).hash.split('/')[2]);
    await expect(alice.getByRole('heading', { level: 1, name })).toBeVisible();
    await expect(alice.locator('dl.details')).toContainText('private');
    await expectLabelled(alice);

    // A valid root file system: the bar reaches 100 %, the version is listed with the SHA-256 of
    // what was sent (the page computed it too and the panel checked it).
    await upload(alice, { name: 'hello-1.0.tar.gz', buffer: first }, '1.0', 'stable');
    await expect(alice.getByRole('progressbar', { name: 'Upload progress' })).toHaveAttribute('aria-valuenow', '100');
    await expect(alice.getByTestId('upload-digest')).toContainText(sha256(first));
    await expect(alice.getByTestId('upload-status').getByRole('status')).toContainText('Version 1.0 is imported');
    const versionRow = alice.locator('tr[data-version="1.0"]');
    await expect(versionRow.locator('[data-sha256]')).toHaveAttribute('data-sha256', sha256(first));
    await expect(versionRow.locator('[data-sha256]')).toHaveAttribute('title', sha256(first));
    await expect(versionRow).toContainText('tar.gz');
    await expect(alice.locator('tr[data-channel="stable"]')).toContainText('1.0');
    await expect(alice.locator('tr[data-channel="latest"]')).toContainText('1.0');

    // An archive with an entry ../evil: refused with its reason, and no version 2.0.
    await upload(alice, { name: 'evil.tar.gz', buffer: evil }, '2.0');
    const refusal = alice.getByTestId('upload-status').getByRole('alert');
    await expect(refusal).toHaveAttribute('data-code', 'image_refused');
    await expect(refusal).toContainText('path_traversal');
    await expect(alice.locator('tr[data-version="2.0"]')).toHaveCount(0);
    const stored = (await (await api(alice, 'GET', `/images/${imageId}`)).json()) as { versions: { version: string }[] };
    expect(stored.versions.map((version) => version.version)).toEqual(['1.0']);

    // A second version moves latest; stable stays until alice moves it.
    await upload(alice, { name: 'hello-1.1.tar.gz', buffer: second }, '1.1');
    await expect(alice.locator('tr[data-version="1.1"] [data-sha256]')).toHaveAttribute('data-sha256', sha256(second));
    await expect(alice.locator('tr[data-channel="latest"]')).toContainText('1.1');
    await expect(alice.locator('tr[data-channel="stable"]')).toContainText('1.0');
    const channelForm = alice.getByRole('form', { name: 'Set a channel' });
    await channelForm.getByLabel('Channel').fill('stable');
    await channelForm.getByLabel('Version').selectOption('1.1');
    await channelForm.getByRole('button', { name: 'Set channel' }).click();
    await expect(alice.locator('tr[data-channel="stable"]')).toContainText('1.1');
    await expect(alice.locator('tr[data-version="1.1"]')).toContainText('stable');
    await expect(alice.locator('tr[data-version="1.0"]')).not.toContainText('stable');
    await screenshot(alice, 'images-detail');

    // Deprecate the old version, then delete it after confirming (no channel but latest names it).
    await alice.getByRole('button', { name: 'Deprecate version 1.0' }).click();
    await expect(alice.locator('tr[data-version="1.0"]').getByTestId('deprecated')).toBeVisible();
    await alice.getByRole('button', { name: 'Delete version 1.0' }).click();
    await alice.getByRole('dialog', { name: `Delete version 1.0 of ${name}?` }).getByRole('button', { name: 'Delete version' }).click();
    await expect(alice.locator('tr[data-version="1.0"]')).toHaveCount(0);
    await expect(alice.locator('tr[data-version="1.1"]')).toBeVisible();

    // Deprecated, the catalog says so.
    await alice.getByRole('button', { name: 'Deprecate image' }).click();
    await expect(alice.getByRole('button', { name: 'Undeprecate image' })).toBeVisible();

    // The catalog lists it, and its filters find it.
    await open(alice, '#/images', 'Images');
    const row = alice.locator(`tr[data-image="${name}"]`);
    await expect(row.getByTestId('deprecated')).toBeVisible();
    await expect(row).toContainText('1.1');
    await expect(row).toContainText('private');
    await alice.getByLabel('Visibility').selectOption('private');
    await alice.getByLabel('Channel').selectOption('stable');
    await expect(row).toBeVisible();
    await alice.getByLabel('Kind').selectOption('vm');
    await expect(row).toHaveCount(0);
    await alice.getByLabel('Kind').selectOption('');
    await expect(row).toBeVisible();
    await expect(alice).toHaveURL(/#\/images\?.*visibility=private/);
    await expectLabelled(alice);
    await screenshot(alice, 'images-catalog');

    // dave of globex sees neither the row nor the page.
    await open(dave, '#/images', 'Images');
    await expect(dave.locator(`tr[data-image="${name}"]`)).toHaveCount(0);
    await dave.goto(`/#/images/${imageId}`);
    await expect(dave.getByRole('heading', { level: 1, name: 'Image not found' })).toBeVisible();

    // alice offers it to globex; once carol, globex's admin, accepts, dave sees it, and his wizard
    // offers it by name and channel.
    await alice.locator(`tr[data-image="${name}"] a`).click();
    await expect(alice.getByRole('heading', { level: 1, name })).toBeVisible();
    const shareForm = alice.getByRole('form', { name: 'Share with a tenant' });
    await shareForm.getByLabel('Tenant').fill('globex');
    await shareForm.getByRole('button', { name: 'Share' }).click();
    await expect(alice.getByText(`${name} is offered to globex`)).toBeVisible();
    await open(dave, '#/images', 'Images');
    await expect(dave.locator(`tr[data-image="${name}"]`)).toHaveCount(0);
    const carol = await signedIn(browser, 'carol');
    try {
      await open(carol, '#/images', 'Images');
      await carol.getByRole('button', { name: `Accept ${name}` }).click();
      await expect(carol.getByRole('button', { name: `Accept ${name}` })).toHaveCount(0);
    } finally {
      await carol.context().close();
    }
    await alice.reload();
    await expect(alice.locator('tr[data-share="globex"]')).toBeVisible();
    await expect(alice.locator('dl.details')).toContainText('shared');

    await dave.reload();
    await expect(dave.locator(`tr[data-image="${name}"]`)).toContainText('shared');
    await expect(dave.locator(`tr[data-image="${name}"]`)).toContainText('acme');
    await dave.locator(`tr[data-image="${name}"] a`).click();
    await expect(dave.getByRole('heading', { level: 1, name })).toBeVisible();
    // Not his to change.
    await expect(dave.getByRole('form', { name: 'Upload a new version' })).toHaveCount(0);
    await expect(dave.getByRole('button', { name: 'Delete image' })).toHaveCount(0);
    await open(dave, '#/instances/new', 'New instance');
    await dave.getByRole('radio', { name: /^Jail/ }).check();
    await dave.getByRole('button', { name: 'Next' }).click();
    await expect(dave.locator(`.catalog-item[data-reference="${name}"]`)).toBeVisible();
    await expect(dave.locator(`.catalog-item[data-reference="${name}/stable"]`)).toContainText('1.1');
    await expect(dave.locator(`.catalog-item[data-reference="${name}/latest"]`)).toHaveCount(0);

    // alice deletes it, after confirming; it is gone for both.
    await alice.getByRole('button', { name: 'Delete image' }).click();
    const dialog = alice.getByRole('dialog', { name: `Delete ${name}?` });
    await expect(dialog).toBeVisible();
    await dialog.getByRole('button', { name: 'Delete image' }).click();
    await alice.waitForURL(/#\/images$/);
    await expect(alice.locator(`tr[data-image="${name}"]`)).toHaveCount(0);
    imageId = null;
    await open(dave, '#/images', 'Images');
    await expect(dave.locator(`tr[data-image="${name}"]`)).toHaveCount(0);
  } finally {
    if (imageId) await api(alice, 'DELETE', `/images/${imageId}`);
    await alice.context().close();
    await dave.context().close();
  }
});

test('the platform admin creates a provider image, publishes and unpublishes it', async ({ page }) => {
  const name = uniqueName('e2e-provider');
  await signIn(page, 'admin');
  await open(page, '#/admin/images', 'Public images');
  // Only the provider's images: none has an owning tenant.
  for (const owner of await page.locator('tbody tr[data-image] td[data-label="Visibility"] .state-detail').allTextContents()) {
    expect(owner).toBe('provider');
  }
  await expectLabelled(page);
  const form = page.getByRole('form', { name: 'New provider image' });
  await form.getByLabel('Name', { exact: true }).fill(name);
  await form.getByLabel('Kind').selectOption('vm');
  await form.getByLabel('OS', { exact: true }).fill('linux');
  await form.getByLabel('Boot').selectOption('firmware');
  await form.getByLabel('Visibility').selectOption('private');
  await form.getByRole('button', { name: 'Create provider image' }).click();
  await page.waitForURL(/#\/images\/[0-9a-f-]{36}$/);
  const id = decodeURIComponent(new URL(page.url()).hash.split('/')[2]);
  try {
    await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
    await expect(page.locator('dl.details')).toContainText('firmware');
    // A VM image's upload asks for the format.
    await expect(page.getByRole('form', { name: 'Upload a new version' }).getByLabel('Format')).toBeEnabled();
    await page.getByRole('button', { name: 'Publish' }).click();
    await expect(page.getByRole('button', { name: 'Unpublish' })).toBeVisible();
    await expect(page.locator('dl.details')).toContainText('public');

    await open(page, '#/admin/images', 'Public images');
    await expect(page.locator(`tr[data-image="${name}"]`)).toContainText('public');
    await screenshot(page, 'images-admin-public');

    await page.locator(`tr[data-image="${name}"] a`).click();
    await page.getByRole('button', { name: 'Unpublish' }).click();
    await expect(page.getByRole('button', { name: 'Publish' })).toBeVisible();
    await expect(page.locator('dl.details')).toContainText('private');
    await page.getByRole('button', { name: 'Delete image' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete image' }).click();
    await page.waitForURL(/#\/admin\/images$/);
    await expect(page.locator(`tr[data-image="${name}"]`)).toHaveCount(0);
  } finally {
    await api(page, 'DELETE', `/images/${id}`);
  }
});

test('alice imports a version from a URL: the page shows the bytes as they arrive, then lists the version', async ({ page }) => {
  // The image is served by a server of the test's own on this machine, slowly enough that the
  // import's progress shows; the panel started by scripts/portal-e2e.sh allows this prefix.
  const port = Number(process.env.E2E_IMPORT_PORT ?? 18771);
  const archive = tarGz([{ name: 'etc' }, { name: 'etc/hello', content: 'from a URL\n' }, { name: 'etc/padding', content: randomBytes(1_800_000).toString('base64') }]);
  const chunk = 16 * 1024;
  const served: string[] = [];
  const server = createServer((request, response) => {
    served.push(request.url ?? '');
    if (request.url !== '/e2e-images/hello.tar.gz') { response.writeHead(404).end(); return; }
    response.writeHead(200, { 'Content-Type': 'application/gzip', 'Content-Length': archive.length });
    let at = 0;
    const timer = setInterval(() => {
      if (response.destroyed) { clearInterval(timer); return; }
      response.write(archive.subarray(at, at + chunk));
      at += chunk;
      if (at >= archive.length) { clearInterval(timer); response.end(); }
    }, 60);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  let imageId: string | null = null;
  try {
    await signIn(page, 'alice');
    const name = uniqueName('e2e-url');
    const created = await api(page, 'POST', '/images', { name, kind: 'jail', os: 'alpine' });
    expect(created.status(), await created.text()).toBeLessThan(300);
    imageId = ((await created.json()) as { id: string }).id;
    await open(page, `#/images/${imageId}`, name);

    const form = page.getByRole('form', { name: 'Import a new version from a URL' });
    await form.getByLabel('URL').fill(`http://127.0.0.1:${port}/e2e-images/hello.tar.gz`);
    await expect(form.getByLabel('Format'), 'the URL\'s ending names the format').toHaveValue('tar.gz');
    await form.getByLabel('Version', { exact: true }).fill('2.0');
    await form.getByLabel('SHA-256').fill(sha256(archive));
    await form.getByRole('button', { name: 'Import' }).click();

    // While it downloads: bytes fetched of the total, and a bar between the ends.
    const progress = page.getByTestId('url-import-progress');
    // "1.2 MiB of 2.3 MiB fetched (52 %)": the total is the archive's size.
    const total = `${Math.round((archive.length / 1048576) * 10) / 10}\u00a0MiB`;
    await expect(progress, 'part of it fetched').toHaveText(/^\S+\s\S+ of \S+\s\S+ fetched \([1-9]\d? %\)$/, { timeout: 15_000 });
    const during = await progress.innerText();
    console.log(`progress while downloading: ${during} (the archive is ${archive.length} bytes)`);
    expect(during.replace(/\s/g, ' ')).toContain(` of ${total.replace('\u00a0', ' ')} fetched`);
    const bar = page.getByRole('progressbar', { name: 'Import progress' });
    expect(Number(await bar.getAttribute('aria-valuenow'))).toBeLessThan(100);

    // Then: all of it, the bar full, the version listed with the digest of what was served.
    await expect(page.getByTestId('url-import-status').getByRole('status')).toContainText('Version 2.0 is imported', { timeout: 60_000 });
    await expect(progress).toHaveText(/fetched \(100 %\)$/);
    await expect(bar).toHaveAttribute('aria-valuenow', '100');
    const row = page.locator('tr[data-version="2.0"]');
    await expect(row.locator('[data-sha256]')).toHaveAttribute('data-sha256', sha256(archive));
    await expect(page.locator('tr[data-channel="latest"]')).toContainText('2.0');
    expect(served).toEqual(['/e2e-images/hello.tar.gz']);
  } finally {
    if (imageId) await api(page, 'DELETE', `/images/${imageId}`);
    await new Promise((resolve) => server.close(resolve));
  }
});
