import { isUnavailable } from '../api/client';
import { listImages, uploadImage, type Image } from '../api/images';
import { trackOperation } from '../components/operationTracker';
import { empty, errorBanner, field, loading, pageHeader, progressBar, section, table, unavailable } from '../components/ui';
import { h, replace } from '../lib/dom';
import { formatBytes, formatDateTime, formatPercent } from '../util/format';
import { canOperate } from '../util/roles';
import type { Page, PageContext } from './page';

/** The catalog and the upload form; the admin page shows public images and uploads public ones. */
export function renderImages(root: HTMLElement, context: PageContext, visibility: 'private' | 'public' | undefined): void {
  const listBody = h('div', null, loading('Loading images'));
  root.append(section(visibility === 'public' ? 'Public catalog' : 'Catalog', listBody));

  const load = () => listImages({ visibility, limit: 200 }).then((page) => {
    if (context.signal.aborted) return;
    const images: Image[] = page.items;
    replace(listBody, images.length === 0 ? empty('No images yet.') : table('Images',
      ['Name', 'Version', 'Kinds', 'Visibility', 'Channel', 'Size', 'Checksum', 'Added'],
      images.map((image) => [
        image.name, image.version ?? '—', (image.kinds ?? (image.kind ? [image.kind] : [])).join(', ') || '—', image.visibility,
        image.channel ?? '—', formatBytes(image.sizeBytes), image.checksum ? h('code', { title: image.checksum }, image.checksum.slice(0, 19)) : '—',
        formatDateTime(image.createdAt),
      ])));
    if (canOperate(context.session)) root.append(uploadForm(context, visibility, () => void load()));
  }).catch((error) => {
    if (context.signal.aborted) return;
    replace(listBody, isUnavailable(error) ? unavailable('The image catalog', 'GET /api/v1/images') : errorBanner(error, 'Loading images'));
  });
  void load();
}

function uploadForm(context: PageContext, visibility: 'private' | 'public' | undefined, reload: () => void): HTMLElement {
  const existing = document.getElementById('image-upload');
  existing?.remove();
  const name = h('input', { type: 'text', required: true, autocomplete: 'off', spellcheck: 'false' });
  const version = h('input', { type: 'text', required: true, autocomplete: 'off', value: '1' });
  const kind = h('select', null, h('option', { value: 'jail' }, 'jail (root filesystem tarball)'), h('option', { value: 'vm' }, 'vm (disk image)'));
  const file = h('input', { type: 'file', required: true });
  const fields = [field('Name', name, 'For example debian/12'), field('Version', version), field('Kind', kind), field('File', file, 'A .tar, .tar.gz, .tar.zst (jails) or a raw/qcow2 disk (VMs)')];
  const progress = h('div', { class: 'upload-progress', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Upload');
  const form = h('form', { class: 'stacked-form', id: 'image-upload' }, fields.map((f) => f.element), h('div', { class: 'wizard-actions' }, submit), progress);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    fields[0].setError(name.value ? null : 'a name is required');
    fields[3].setError(file.files?.length ? null : 'choose a file');
    if (!name.value || !file.files?.length) return;
    submit.disabled = true;
    const bar = progressBar(0, 'Upload progress');
    const text = h('span', null, 'Starting…');
    const cancel = h('button', { type: 'button', class: 'small' }, 'Cancel upload');
    replace(progress, bar, text, cancel);
    const upload = uploadImage({ name: name.value, version: version.value, kind: kind.value, file: file.files[0], visibility }, (sent, total) => {
      const fraction = total > 0 ? sent / total : 0;
      bar.setAttribute('aria-valuenow', String(Math.round(fraction * 100)));
      (bar.firstElementChild as HTMLElement).style.width = `${fraction * 100}%`;
      text.textContent = `${formatBytes(sent)} of ${formatBytes(total)} (${formatPercent(fraction)})`;
    });
    cancel.onclick = () => upload.abort();
    upload.done.then((operation) => {
      submit.disabled = false;
      replace(progress, h('p', null, 'Uploaded; checking and importing…'), trackOperation(operation, context.events, () => reload()).element);
    }).catch((error) => {
      submit.disabled = false;
      replace(progress, isUnavailable(error) ? unavailable('Image upload', 'POST /api/v1/images') : errorBanner(error, 'Upload'));
    });
  });
  return section(visibility === 'public' ? 'Upload a public image' : 'Upload a private image', form);
}

export const imagesPage: Page = (root, context) => {
  root.append(pageHeader('Images'));
  renderImages(root, context, undefined);
};
