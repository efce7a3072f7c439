import { ApiError } from '../api/client';
import { createImage, type CreateImageRequest, type ImageKind } from '../api/images';
import { errorBanner, field, pageHeader, section } from '../components/ui';
import { h, replace, uid } from '../lib/dom';
import { imageNameProblem } from '../util/images';
import { isPlatformAdmin } from '../util/roles';
import { imageLink } from './images';
import type { Page, PageContext } from './page';

const COMMON_OS = ['alpine', 'debian', 'ubuntu', 'fedora', 'rocky', 'freebsd', 'linux', 'busybox', 'windows'];

/**
 * The form of a new image (no versions yet); on success the browser goes to the image's page to
 * upload its first version. `provider`: a platform admin's image of the provider, public or private.
 */
export function newImageForm(context: PageContext, options: { provider?: boolean } = {}): HTMLElement {
  const name = h('input', { type: 'text', required: true, maxlength: 63, autocomplete: 'off', spellcheck: 'false' });
  const kind = h('select', { required: true }, h('option', { value: 'jail' }, 'Jail (a root file system)'), h('option', { value: 'vm' }, 'Virtual machine (a disk or a kernel)'));
  const os = h('input', { type: 'text', required: true, maxlength: 63, autocomplete: 'off', spellcheck: 'false' });
  const osList = h('datalist', { id: uid('os') }, COMMON_OS.map((value) => h('option', { value })));
  os.setAttribute('list', osList.id);
  const architecture = h('select', null, h('option', { value: 'x86_64' }, 'x86_64'), h('option', { value: 'aarch64' }, 'aarch64'));
  const description = h('textarea', { rows: 2, maxlength: 1000 });
  const boot = h('select', null, h('option', { value: 'kernel' }, 'Direct kernel boot'), h('option', { value: 'firmware' }, 'Firmware (a bootable disk)'));
  const graphics = h('input', { type: 'checkbox', id: uid('graphics') });
  const visibility = h('select', null, h('option', { value: 'public' }, 'Public: every tenant sees it'), h('option', { value: 'private' }, 'Private: platform admins only, until published'));

  const fields = {
    name: field('Name', name, 'Lower-case letters, digits, ".", "_", "-"; e.g. debian'),
    kind: field('Kind', kind),
    os: field('OS', os, 'The operating system, e.g. debian or alpine'),
    architecture: field('Architecture', architecture),
    description: field('Description', description),
    boot: field('Boot', boot, 'How its VMs start'),
    visibility: field('Visibility', visibility),
  };
  const vmOnly = h('div', { class: 'field-row' }, fields.boot.element,
    h('label', { class: 'checkbox', for: graphics.id }, graphics, ' Needs a graphical console'));
  const showKind = () => { vmOnly.hidden = kind.value !== 'vm'; };
  kind.addEventListener('change', showKind);
  showKind();

  const feedback = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'primary' }, options.provider ? 'Create provider image' : 'Create image');
  const form = h('form', { class: 'stacked-form', novalidate: true, 'aria-label': options.provider ? 'New provider image' : 'New image' },
    h('div', { class: 'field-row' }, fields.name.element, fields.kind.element, fields.os.element, osList),
    h('div', { class: 'field-row' }, fields.architecture.element, options.provider ? fields.visibility.element : null),
    fields.description.element,
    vmOnly,
    h('div', { class: 'wizard-actions' }, submit),
    feedback);

  name.addEventListener('input', () => fields.name.setError(null));
  os.addEventListener('input', () => fields.os.setError(null));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    replace(feedback);
    const nameProblem = imageNameProblem(name.value);
    const osProblem = imageNameProblem(os.value) && 'a short lower-case name such as debian';
    fields.name.setError(nameProblem);
    fields.os.setError(osProblem || null);
    if (nameProblem) { name.focus(); return; }
    if (osProblem) { os.focus(); return; }
    const request: CreateImageRequest = {
      name: name.value, kind: kind.value as ImageKind, os: os.value, architecture: architecture.value,
      description: description.value.trim() || undefined,
    };
    if (kind.value === 'vm') {
      request.boot = boot.value as 'kernel' | 'firmware';
      request.graphics = graphics.checked;
    }
    if (options.provider) request.visibility = visibility.value as 'public' | 'private';
    submit.disabled = true;
    try {
      const image = await createImage(request);
      context.navigate(imageLink(image));
    } catch (error) {
      submit.disabled = false;
      // Refusals that name a field go next to it; the rest above the button.
      const details = error instanceof ApiError && error.details && typeof error.details === 'object' ? error.details as Record<string, unknown> : {};
      const named = typeof details.field === 'string' ? { [details.field]: (error as Error).message } : (details.fields ?? {}) as Record<string, string>;
      let placed = false;
      for (const [key, message] of Object.entries(named)) {
        const target = fields[key as keyof typeof fields];
        if (target) { target.setError(message); placed = true; }
      }
      if (!placed) replace(feedback, errorBanner(error, 'Create the image'));
    }
  });
  return form;
}

export const imageCreatePage: Page = (root, context) => {
  root.append(
    pageHeader('New image', h('a', { class: 'button subtle', href: '#/images' }, 'Cancel')),
    h('p', { class: 'subtitle' }, 'An image starts without versions: upload the first on its page next.'),
    section('Image', newImageForm(context, { provider: isPlatformAdmin(context.session) })),
  );
};
