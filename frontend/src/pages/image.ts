import { ApiError } from '../api/client';
import {
  deleteChannel, deleteImage, deleteVersion, getImage, setChannel, setVersionDeprecated, shareImage, unshareImage,
  importVersionFromUrl, updateImage, uploadVersion, type Image, type ImageVersion,
} from '../api/images';
import { cancelOperation, getOperation, type Operation } from '../api/operations';
import {
  confirmDialog, empty, errorBanner, field, loading, pageHeader, progressBar, section, setProgress, table, toast,
} from '../components/ui';
import { h, replace, uid } from '../lib/dom';
import { formatBytes, formatDateTime, formatPercent } from '../util/format';
import {
  canManageImage, channelProblem, digestInBrowser, guessVmFormat, importProgressText, LATEST, ownerLabel,
  parseChannels, sha256Hex, uploadFormats, urlImportFormats, guessJailFormat, versionLabelProblem,
} from '../util/images';
import { dnsLabelProblem } from '../util/names';
import { isPlatformAdmin } from '../util/roles';
import { deprecatedBadge, sha256Cell } from './images';
import type { Page } from './page';

export const imagePage: Page = async (root, context) => {
  const { params, session, signal, events } = context;
  root.append(loading('Loading the image'));
  let image: Image;
  try {
    image = await getImage(params.id, signal);
  } catch (error) {
    if (signal.aborted) return;
    const back = h('p', null, h('a', { href: '#/images' }, 'Back to the images'));
    // An image the tenant may not see answers 404 exactly like an id that does not exist.
    if (error instanceof ApiError && error.status === 404) {
      replace(root, pageHeader('Image not found'), h('p', { 'data-testid': 'not-found' }, 'There is no image with this id that you can use.'), back);
    } else {
      replace(root, pageHeader('Image'), errorBanner(error, 'Loading the image'), back);
    }
    return;
  }
  if (signal.aborted) return;

  const manage = canManageImage(session, image);
  const tray = h('div', { class: 'tray', 'aria-live': 'polite' });
  const headerActions = h('div', { class: 'row-actions' });
  const subtitle = h('p', { class: 'subtitle' });
  const detailsBody = h('div');
  const versionsBody = h('div');
  const channelsBody = h('div');
  const sharingBody = h('div');

  /** Runs a change; shows its error in the tray, or the image it answers (or a fresh one). */
  const act = async (what: string, change: () => Promise<Image | void>, done?: string): Promise<boolean> => {
    replace(tray);
    try {
      const answer = await change();
      image = answer ?? await getImage(image.id);
      if (signal.aborted) return true;
      render();
      if (done) toast(done, 'success');
      return true;
    } catch (error) {
      if (!signal.aborted) tray.append(errorBanner(error, what));
      return false;
    }
  };

  // ---- header: deprecate, publish (the provider's images), delete
  const renderHeader = () => {
    replace(subtitle, `${image.kind} · ${image.os} · ${image.visibility} · ${ownerLabel(image)} `, image.deprecated ? deprecatedBadge() : null);
    if (!manage) return;
    replace(headerActions,
      h('button', {
        type: 'button',
        onclick: () => void act(image.deprecated ? 'Undeprecate the image' : 'Deprecate the image',
          () => updateImage(image.id, { deprecated: !image.deprecated }),
          image.deprecated ? `${image.name} is no longer deprecated` : `${image.name} is deprecated`),
      }, image.deprecated ? 'Undeprecate image' : 'Deprecate image'),
      isPlatformAdmin(session) && !image.tenant ? h('button', {
        type: 'button',
        onclick: () => void act(image.visibility === 'public' ? 'Unpublish' : 'Publish',
          () => updateImage(image.id, { visibility: image.visibility === 'public' ? 'private' : 'public' }),
          image.visibility === 'public' ? `${image.name} is no longer public` : `${image.name} is public`),
      }, image.visibility === 'public' ? 'Unpublish' : 'Publish') : null,
      h('button', {
        type: 'button', class: 'danger',
        onclick: async () => {
          const confirmed = await confirmDialog(`Delete ${image.name}?`,
            `This deletes ${image.name} with all ${image.versions?.length ?? 0} version(s) and its channels and shares. Instances already created from it must be deleted first. It cannot be undone.`,
            'Delete image');
          if (!confirmed) return;
          replace(tray);
          try {
            await deleteImage(image.id);
            toast(`${image.name} deleted`, 'success');
            context.navigate(!image.tenant && isPlatformAdmin(session) ? '#/admin/images' : '#/images');
          } catch (error) {
            tray.append(errorBanner(error, 'Delete the image'));
          }
        },
      }, 'Delete image'));
  };

  // ---- details
  const renderDetails = () => {
    const rows: [string, Node | string][] = [
      ['Reference', h('code', null, image.reference)],
      ['Kind', image.kind === 'vm' ? 'virtual machine' : 'jail'],
      ['OS', image.os],
      ['Architecture', image.architecture],
    ];
    if (image.kind === 'vm') {
      rows.push(['Boot', image.boot === 'firmware' ? 'firmware' : 'direct kernel boot'], ['Graphics', image.graphics ? 'yes' : 'no']);
    }
    rows.push(
      ['Owner', ownerLabel(image)],
      ['Visibility', image.visibility],
      ['Description', image.description ?? '—'],
      ['Latest version', image.latestVersion ?? 'none yet'],
      ['Size', formatBytes(image.sizeBytes)],
      ['SHA-256', image.sha256 ? h('code', { class: 'hash' }, image.sha256) : '—'],
      ['Created', `${formatDateTime(image.createdAt)}${image.createdBy ? ` by ${image.createdBy}` : ''}`],
    );
    if (image.builtIn) rows.push(['Built in', 'yes: the panel imports it at start']);
    if (image.sharedWith) rows.push(['Shared with', image.sharedWith.length ? image.sharedWith.join(', ') : 'nobody']);
    replace(detailsBody, h('dl', { class: 'details' }, rows.map(([term, value]) => [h('dt', null, term), h('dd', null, value)])));
  };

  // ---- versions
  const versionActions = (version: ImageVersion) => h('div', { class: 'row-actions' },
    h('button', {
      type: 'button', class: 'small', 'aria-label': `${version.deprecated ? 'Undeprecate' : 'Deprecate'} version ${version.version}`,
      onclick: () => void act(`${version.deprecated ? 'Undeprecate' : 'Deprecate'} version ${version.version}`,
        () => setVersionDeprecated(image.id, version.version, !version.deprecated)),
    }, version.deprecated ? 'Undeprecate' : 'Deprecate'),
    h('button', {
      type: 'button', class: 'small danger', 'aria-label': `Delete version ${version.version}`,
      onclick: async () => {
        const confirmed = await confirmDialog(`Delete version ${version.version} of ${image.name}?`,
          `New instances can no longer be created from ${version.reference}. Instances created from it and channels other than latest pointing at it must go first. It cannot be undone.`,
          'Delete version');
        if (confirmed) void act(`Delete version ${version.version}`, () => deleteVersion(image.id, version.version), `Version ${version.version} deleted`);
      },
    }, 'Delete'));

  const renderVersions = () => {
    const versions = image.versions ?? [];
    if (versions.length === 0) {
      replace(versionsBody, empty(manage ? 'No versions yet: upload the first below.' : 'No versions yet.'));
      return;
    }
    const headers = ['Version', 'Format', 'Size', 'Unpacked', 'SHA-256', 'Channels', 'Instances', 'Added'];
    if (manage) headers.push('Actions');
    replace(versionsBody, table(`Versions of ${image.name}`, headers, versions.map((version) => {
      const cells: (Node | string)[] = [
        h('span', { title: version.reference }, h('code', null, version.version), version.deprecated ? deprecatedBadge() : null),
        version.format,
        formatBytes(version.sizeBytes),
        formatBytes(version.unpackedBytes),
        sha256Cell(version.sha256),
        version.channels.length ? version.channels.join(', ') : '—',
        instancesCell(version),
        `${formatDateTime(version.createdAt)}${version.createdBy ? ` by ${version.createdBy}` : ''}`,
      ];
      if (manage) cells.push(versionActions(version));
      return cells;
    }), (index) => ({ 'data-version': versions[index].version })));
  };

  // ---- channels: the table is drawn anew, the form stays (and keeps what is typed)
  const channelInput = h('input', { type: 'text', required: true, autocomplete: 'off', spellcheck: 'false', maxlength: 255 });
  const channelChoices = h('datalist', { id: uid('channels') });
  channelInput.setAttribute('list', channelChoices.id);
  const versionSelect = h('select', { required: true });
  const channelField = field('Channel', channelInput, 'e.g. stable or 12/stable');
  const channelForm = h('form', { class: 'inline-form', novalidate: true, 'aria-label': 'Set a channel' },
    channelField.element, channelChoices, field('Version', versionSelect).element,
    h('button', { type: 'submit', class: 'primary' }, 'Set channel'));
  channelInput.addEventListener('input', () => channelField.setError(null));
  channelForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const channel = channelInput.value.trim();
    const problem = channelProblem(channel);
    channelField.setError(problem);
    if (problem) { channelInput.focus(); return; }
    const before = image.channels[channel];
    void act(`Set channel ${channel}`, () => setChannel(image.id, channel, versionSelect.value),
      before ? `${channel} moved from ${before} to ${versionSelect.value}` : `${channel} now points at ${versionSelect.value}`)
      .then((ok) => { if (ok) channelInput.value = ''; });
  });

  const renderChannels = () => {
    const entries = Object.entries(image.channels ?? {}).sort(([a], [b]) => (a === LATEST ? -1 : b === LATEST ? 1 : a.localeCompare(b)));
    const headers = manage ? ['Channel', 'Version', 'Actions'] : ['Channel', 'Version'];
    const list = entries.length === 0 ? empty('No channels yet: latest appears with the first version.') : table(`Channels of ${image.name}`, headers, entries.map(([channel, version]) => {
      const cells: (Node | string)[] = [h('code', null, channel), version];
      if (manage) {
        cells.push(channel === LATEST ? h('span', { class: 'hint' }, 'follows every new version') : h('button', {
          type: 'button', class: 'small', 'aria-label': `Remove channel ${channel}`,
          onclick: () => void act(`Remove channel ${channel}`, () => deleteChannel(image.id, channel), `Channel ${channel} removed`),
        }, 'Remove'));
      }
      return cells;
    }), (index) => ({ 'data-channel': entries[index][0] }));
    const versions = image.versions ?? [];
    const chosen = versionSelect.value;
    replace(versionSelect, versions.map((version) => h('option', { value: version.version }, version.version + (version.deprecated ? ' (deprecated)' : ''))));
    if (versions.some((version) => version.version === chosen)) versionSelect.value = chosen;
    replace(channelChoices, entries.map(([channel]) => h('option', { value: channel })));
    replace(channelsBody, list,
      h('p', { class: 'hint' }, 'Instances created from ', h('code', null, `${image.name}/<channel>`), ' get the version the channel points at; moving it changes nothing for existing ones.'),
      manage && versions.length ? channelForm : null);
  };

  // ---- sharing (owners and platform admins)
  const tenantInput = h('input', { type: 'text', required: true, autocomplete: 'off', spellcheck: 'false', maxlength: 63 });
  const tenantField = field('Tenant', tenantInput, 'The tenant\'s name, e.g. globex');
  const shareForm = h('form', { class: 'inline-form', novalidate: true, 'aria-label': 'Share with a tenant' },
    tenantField.element, h('button', { type: 'submit', class: 'primary' }, 'Share'));
  tenantInput.addEventListener('input', () => tenantField.setError(null));
  shareForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const tenant = tenantInput.value.trim();
    const problem = dnsLabelProblem(tenant);
    tenantField.setError(problem);
    if (problem) { tenantInput.focus(); return; }
    void act(`Share with ${tenant}`, () => shareImage(image.id, tenant),
      `${image.name} is offered to ${tenant}: it enters their catalog once their admin accepts`)
      .then((ok) => { if (ok) tenantInput.value = ''; });
  });

  const renderSharing = () => {
    const shares = image.sharedWith ?? [];
    replace(sharingBody,
      shares.length === 0 ? empty(image.visibility === 'public' ? 'It is public: every tenant sees it.' : 'Not shared: only its own tenant sees it.')
        : table(`Tenants ${image.name} is shared with`, ['Tenant', 'Actions'], shares.map((tenant) => [
          tenant,
          h('button', {
            type: 'button', class: 'small', 'aria-label': `Stop sharing with ${tenant}`,
            onclick: () => void act(`Stop sharing with ${tenant}`, () => unshareImage(image.id, tenant), `${image.name} is no longer shared with ${tenant}`),
          }, 'Stop sharing'),
        ]), (index) => ({ 'data-share': shares[index] })),
      h('p', { class: 'hint' }, 'A tenant it is shared with sees it and creates instances from it; ending the share leaves their instances running.'),
      shareForm);
  };

  const render = () => {
    renderHeader();
    renderDetails();
    renderVersions();
    renderChannels();
    if (manage && image.sharedWith) renderSharing();
  };

  const upload = manage ? uploadSection(image, signal, (fresh) => { image = fresh; render(); }) : null;
  const urlImport = manage ? urlImportSection(image, signal, (fresh) => { image = fresh; render(); }) : null;
  replace(root,
    pageHeader(image.name, headerActions),
    subtitle,
    tray,
    section('Details', detailsBody),
    section('Versions', versionsBody),
    upload,
    urlImport,
    section('Channels', channelsBody),
    manage && image.sharedWith ? section('Sharing', sharingBody) : null);
  render();

  // Changes by others (or by this page in another tab) come as events: read the image again.
  let reload: ReturnType<typeof setTimeout> | null = null;
  const unsubscribe = events.subscribe((event) => {
    if (event.targetType !== 'image' || event.target !== image.id || reload) return;
    reload = setTimeout(() => {
      reload = null;
      getImage(image.id).then((fresh) => {
        if (signal.aborted || JSON.stringify(fresh) === JSON.stringify(image)) return;
        image = fresh;
        render();
      }).catch(() => undefined);
    }, 500);
  });
  return () => {
    unsubscribe();
    if (reload) clearTimeout(reload);
  };
};

/** How many live instances use a version, with links to the caller's own. */
function instancesCell(version: ImageVersion): Node {
  const own = version.usedBy ?? [];
  return h('span', { class: 'instance-list' }, String(version.instances),
    own.map((instance) => [' ', h('a', { href: `#/instances/${encodeURIComponent(instance.id)}` }, instance.name)]));
}

/**
 * The upload of a new version: the file goes as the raw body with its description in the query,
 * its SHA-256 computed here first (up to 256 MiB) so the panel checks what arrived, and a bar
 * follows the bytes sent.
 */
function uploadSection(image: Image, signal: AbortSignal, uploaded: (image: Image) => void): HTMLElement {
  const file = h('input', { type: 'file', required: true });
  const version = h('input', { type: 'text', required: true, autocomplete: 'off', spellcheck: 'false', maxlength: 64, placeholder: 'e.g. 1.0' });
  const format = h('select', null, uploadFormats(image.kind).map((choice) => h('option', { value: choice.value }, choice.label)));
  const channels = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: 'e.g. stable' });
  const cmdline = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', maxlength: 1000, placeholder: 'console=ttyS0' });
  const fields = {
    file: field('File', file, image.kind === 'jail'
      ? 'A root file system tarball: tar, tar.gz, tar.xz or tar.zst.'
      : 'A raw or qcow2 disk, or a tarball holding kernel (and initrd).'),
    version: field('Version', version, 'Its label, e.g. 1.0 or 12.8-20261121'),
    format: field('Format', format, image.kind === 'jail' ? 'The panel tells it from the bytes.' : undefined),
    channels: field('Channels', channels, 'Besides latest (which every new version moves): e.g. stable, 12/stable'),
    cmdline: field('Kernel command line', cmdline),
  };
  if (image.kind === 'jail') format.disabled = true;
  const showCmdline = () => { fields.cmdline.element.hidden = format.value !== 'kernel'; };
  format.addEventListener('change', showCmdline);
  showCmdline();
  file.addEventListener('change', () => {
    fields.file.setError(null);
    const chosen = file.files?.[0];
    if (chosen && image.kind === 'vm') { format.value = guessVmFormat(chosen.name); showCmdline(); }
  });
  version.addEventListener('input', () => fields.version.setError(null));
  channels.addEventListener('input', () => fields.channels.setError(null));

  const status = h('div', { class: 'upload-status', 'data-testid': 'upload-status', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Upload');
  const form = h('form', { class: 'stacked-form', novalidate: true, 'aria-label': 'Upload a new version' },
    fields.file.element,
    h('div', { class: 'field-row' }, fields.version.element, fields.format.element, fields.channels.element),
    fields.cmdline.element,
    h('div', { class: 'wizard-actions' }, submit),
    status);

  let abort: (() => void) | null = null;
  signal.addEventListener('abort', () => abort?.());

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const chosen = file.files?.[0];
    const label = version.value.trim();
    const parsed = parseChannels(channels.value);
    const problems = {
      file: chosen ? null : 'choose a file',
      version: versionLabelProblem(label),
      channels: parsed.problem ?? (parsed.channels.includes(LATEST) ? 'latest moves by itself; leave it out' : null),
    };
    fields.file.setError(problems.file);
    fields.version.setError(problems.version);
    fields.channels.setError(problems.channels);
    if (!chosen || problems.version || problems.channels) {
      (problems.file ? file : problems.version ? version : channels).focus();
      return;
    }

    submit.disabled = true;
    const digestLine = h('p', { 'data-testid': 'upload-digest' });
    const bar = progressBar(0, 'Upload progress');
    const progressText = h('span', { class: 'hint' });
    const cancel = h('button', { type: 'button', class: 'small', onclick: () => abort?.() }, 'Cancel upload');
    replace(status, digestLine, h('div', { class: 'upload-progress' }, bar, progressText, cancel));

    let sha256: string | undefined;
    if (digestInBrowser(chosen.size)) {
      digestLine.textContent = 'Computing the SHA-256…';
      try {
        sha256 = await sha256Hex(await chosen.arrayBuffer());
      } catch {
        sha256 = undefined;
      }
      if (signal.aborted) return;
    }
    replace(digestLine, sha256
      ? h('span', null, 'SHA-256 computed here: ', h('code', { class: 'hash' }, sha256), '; the panel checks what arrives against it.')
      : `The file is larger than 256 MiB: the panel computes its SHA-256.`);

    const transfer = uploadVersion(image.id, chosen, {
      version: label,
      format: image.kind === 'jail' ? undefined : format.value,
      sha256,
      channels: parsed.channels,
      cmdline: image.kind === 'vm' && format.value === 'kernel' && cmdline.value.trim() ? cmdline.value.trim() : undefined,
    }, (sent, total) => {
      const fraction = total > 0 ? sent / total : 1;
      setProgress(bar, fraction * 100);
      progressText.textContent = sent >= total
        ? `${formatBytes(total)} sent; the panel checks and imports it…`
        : `${formatBytes(sent)} of ${formatBytes(total)} (${formatPercent(fraction)})`;
    });
    abort = transfer.abort;
    try {
      const fresh = await transfer.done;
      if (signal.aborted) return;
      cancel.remove();
      const added = fresh.versions?.find((candidate) => candidate.version === label);
      progressText.textContent = `${formatBytes(chosen.size)} sent`;
      status.append(h('div', { class: 'banner success', role: 'status' },
        `Version ${label} is imported. SHA-256 `, h('code', { class: 'hash' }, added?.sha256 ?? '—'),
        sha256 ? (added?.sha256 === sha256 ? ', as computed here.' : ', which differs from the one computed here!') : ', as the panel computed it.'));
      version.value = '';
      channels.value = '';
      file.value = '';
      uploaded(fresh);
    } catch (error) {
      if (signal.aborted) return;
      cancel.remove();
      status.append(errorBanner(error, `Upload of version ${label}`));
    } finally {
      abort = null;
      submit.disabled = false;
    }
  });

  return section('Upload a new version', form);
}

const TERMINAL = ['succeeded', 'failed', 'cancelled'];

/**
 * The import of a new version from a URL on the allow-list: the panel downloads it as an operation,
 * and a bar follows the bytes it has fetched of the total until it has checked and imported it.
 */
function urlImportSection(image: Image, signal: AbortSignal, imported: (image: Image) => void): HTMLElement {
  const url = h('input', { type: 'url', required: true, autocomplete: 'off', spellcheck: 'false', maxlength: 1000, placeholder: 'https://…' });
  const version = h('input', { type: 'text', required: true, autocomplete: 'off', spellcheck: 'false', maxlength: 64, placeholder: 'e.g. 1.0' });
  const format = h('select', null, urlImportFormats(image.kind).map((choice) => h('option', { value: choice.value }, choice.label)));
  // The URL's ending suggests the format; the user may change it.
  url.addEventListener('input', () => {
    const path = url.value.trim();
    const guessed = image.kind === 'jail' ? guessJailFormat(path) : path ? guessVmFormat(path.replace(/[?#].*$/, '')) : null;
    if (guessed) format.value = guessed;
  });
  const sha256 = h('input', { type: 'text', required: true, autocomplete: 'off', spellcheck: 'false', maxlength: 64, placeholder: '64 hex digits' });
  const fields = {
    url: field('URL', url, 'It must start with a prefix on the platform admin\'s allow-list.'),
    version: field('Version', version),
    format: field('Format', format),
    sha256: field('SHA-256', sha256, 'The panel checks what it downloads against it.'),
  };
  const status = h('div', { class: 'upload-status', 'data-testid': 'url-import-status', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Import');
  const form = h('form', { class: 'stacked-form', novalidate: true, 'aria-label': 'Import a new version from a URL' },
    fields.url.element,
    h('div', { class: 'field-row' }, fields.version.element, fields.format.element),
    fields.sha256.element,
    h('div', { class: 'wizard-actions' }, submit),
    status);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const label = version.value.trim();
    const digest = sha256.value.trim().toLowerCase();
    const problems = {
      url: /^https?:\/\/./.test(url.value.trim()) ? null : 'an http or https URL',
      version: versionLabelProblem(label),
      sha256: /^[0-9a-f]{64}$/.test(digest) ? null : '64 hex digits',
    };
    fields.url.setError(problems.url);
    fields.version.setError(problems.version);
    fields.sha256.setError(problems.sha256);
    if (problems.url || problems.version || problems.sha256) return;

    submit.disabled = true;
    const bar = progressBar(0, 'Import progress');
    const progressText = h('span', { class: 'hint', 'data-testid': 'url-import-progress' }, 'Starting…');
    let operation: Operation | null = null;
    const cancel = h('button', {
      type: 'button', class: 'small',
      onclick: () => { if (operation) cancelOperation(operation.id).catch(() => undefined); },
    }, 'Cancel import');
    replace(status, h('div', { class: 'upload-progress' }, bar, progressText, cancel));
    try {
      operation = await importVersionFromUrl(image.id, { url: url.value.trim(), version: label, format: format.value, sha256: digest });
      while (!TERMINAL.includes(operation.state)) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        if (signal.aborted) return;
        operation = await getOperation(operation.id);
        const detail = operation.progressDetail;
        setProgress(bar, operation.progress);
        if (typeof detail?.bytesFetched === 'number') {
          const total = typeof detail.bytesTotal === 'number' ? detail.bytesTotal : null;
          progressText.textContent = importProgressText(detail.bytesFetched, total, formatBytes);
        }
      }
      cancel.remove();
      if (operation.state === 'succeeded') {
        setProgress(bar, 100);
        status.append(h('div', { class: 'banner success', role: 'status' }, `Version ${label} is imported.`));
        url.value = '';
        version.value = '';
        sha256.value = '';
        imported(await getImage(image.id));
      } else {
        status.append(h('div', { class: 'banner error', role: 'alert' },
          operation.state === 'cancelled' ? `The import of version ${label} was cancelled.`
            : `The import of version ${label} failed: ${operation.error ?? 'no reason given'}`));
      }
    } catch (error) {
      if (signal.aborted) return;
      cancel.remove();
      status.append(errorBanner(error, `Import of version ${label}`));
    } finally {
      submit.disabled = false;
    }
  });

  return section('Import a new version from a URL', form);
}
