import { isUnavailable } from '../api/client';
import { listImages, type Image } from '../api/images';
import { createInstance, listInstances, type CreateInstanceRequest, type Instance, type InstanceKind } from '../api/instances';
import { listInstanceTypes, type InstanceType } from '../api/instanceTypes';
import { getPricePlan, getQuota, type PricePlan, type QuotaResource } from '../api/quota';
import { listTenants, type Tenant } from '../api/tenants';
import { listSshKeys } from '../api/sshKeys';
import { trackOperation } from '../components/operationTracker';
import { errorBanner, field, pageHeader, unavailable } from '../components/ui';
import { h, replace, uid } from '../lib/dom';
import { formatGiB, formatMiB, formatMoney } from '../util/format';
import { imageReferenceProblem, imageReferences, ownerLabel, type ImageReference } from '../util/images';
import { newInstanceNameProblem, suggestName } from '../util/names';
import { monthlyPrice } from '../util/price';
import { checkRequest, normalizeQuota, QUOTA_LABELS } from '../util/quota';
import { canOperate, isPlatformAdmin, roleLabel } from '../util/roles';
import type { Page } from './page';

const STEPS = ['Kind', 'Image', 'Size', 'Network', 'Review'] as const;

/** Loads something optional: the value, 'unavailable' on a server without the endpoint, or the error. */
async function optional<T>(load: () => Promise<T>): Promise<T | 'unavailable' | Error> {
  try {
    return await load();
  } catch (error) {
    return isUnavailable(error) ? 'unavailable' : (error as Error);
  }
}

export const instanceCreatePage: Page = async (root, { session, events, navigate, signal }) => {
  root.append(pageHeader('New instance', h('a', { class: 'button subtle', href: '#/instances' }, 'Cancel')));
  if (!canOperate(session)) {
    // Said before anything is filled in: a viewer's request would only be refused at the end.
    root.append(h('div', { class: 'banner info', role: 'status', 'data-testid': 'cannot-create' },
      `Your role (${roleLabel(session)}) lets you see the tenant's instances, not create them. A tenant admin can give you the member role.`),
    h('p', null, h('a', { href: '#/instances' }, 'Back to the instances')));
    return;
  }

  const [typesResult, imagesResult, quotaResult, planResult, tenantsResult, existingResult] = await Promise.all([
    optional(() => listInstanceTypes()),
    optional(() => listImages({ limit: 200 })),
    optional(() => getQuota()),
    optional(() => getPricePlan()),
    isPlatformAdmin(session) ? optional(() => listTenants()) : Promise.resolve(null),
    optional(() => listInstances({ limit: 500 })),
  ]);
  if (signal.aborted) return;
  if (typesResult instanceof Error || typesResult === 'unavailable') {
    root.append(errorBanner(typesResult === 'unavailable' ? new Error('instance types are not available') : typesResult, 'Loading instance types'));
    return;
  }
  const types: InstanceType[] = typesResult.items;
  const images: Image[] = imagesResult instanceof Error || imagesResult === 'unavailable' ? [] : imagesResult.items;
  const quota: QuotaResource[] | null = quotaResult instanceof Error || quotaResult === 'unavailable' ? null : normalizeQuota(quotaResult);
  const plan: PricePlan | null = planResult instanceof Error || planResult === 'unavailable' ? null : planResult;
  const tenants: Tenant[] = tenantsResult && !(tenantsResult instanceof Error) && tenantsResult !== 'unavailable' ? tenantsResult.items : [];
  const existing: Instance[] = existingResult instanceof Error || existingResult === 'unavailable' ? [] : existingResult.items;
  /** Names in use in the tenant the instance is for (platform admins choose it on the first step). */
  const takenNames = () => new Set(existing
    .filter((instance) => instance.state !== 'deleted' && (!isPlatformAdmin(session) || instance.tenant === tenantSelect.value))
    .map((instance) => instance.name));

  let step = 0;
  const form = h('form', { class: 'wizard', novalidate: true, 'aria-label': 'New instance' });
  const stepList = h('ol', { class: 'steps' });
  const feedback = h('div', { class: 'wizard-feedback', 'aria-live': 'polite' });

  // ---- step 1: kind (and the tenant, for platform admins)
  const kindName = uid('kind');
  const kindRadios = (['jail', 'vm'] as InstanceKind[]).map((kind, index) => {
    const input = h('input', { type: 'radio', name: kindName, value: kind, id: uid('kind'), checked: index === 0 });
    return { kind, input, element: h('label', { class: 'choice', for: input.id }, input, h('span', { class: 'choice-title' }, kind === 'jail' ? 'Jail' : 'Virtual machine'), h('span', { class: 'choice-text' }, kind === 'jail' ? 'A system container: its own root filesystem, hostname, address and init. Starts in milliseconds.' : 'A microVM with its own kernel and virtio devices, for any operating system.')) };
  });
  const kind = (): InstanceKind => (kindRadios.find((radio) => radio.input.checked)?.kind ?? 'jail');
  const tenantSelect = h('select', { required: true }, h('option', { value: '' }, 'Choose a tenant'), tenants.map((tenant) => h('option', { value: tenant.slug }, tenant.displayName ? `${tenant.displayName} (${tenant.slug})` : tenant.slug)));
  const tenantField = field('Tenant', tenantSelect, 'Platform admins create instances for a tenant.');
  const kindStep = h('fieldset', { class: 'step' }, h('legend', null, 'What kind of instance?'), h('div', { class: 'choices' }, kindRadios.map((radio) => radio.element)), isPlatformAdmin(session) ? tenantField.element : null);

  // ---- step 2: image and name
  const imageInput = h('input', { type: 'text', required: true, autocomplete: 'off', value: '', spellcheck: 'false' });
  const imageList = h('datalist', { id: uid('images') });
  imageInput.setAttribute('list', imageList.id);
  const imageField = field('Image', imageInput, images.length ? 'Pick from the catalog or type a reference: name, name/channel or name@version.' : 'An image name, for example busybox.');
  // No maxlength: a browser would cut a pasted 300-character name silently; the check says why instead.
  const nameInput = h('input', { type: 'text', required: true, autocomplete: 'off', spellcheck: 'false' });
  const nameField = field('Name', nameInput, 'Lower-case letters, digits and "-"; also the hostname inside.');
  const catalog = h('div', { class: 'catalog' });
  const renderCatalog = () => {
    // Each image by its name (which follows latest) and by each of its other channels.
    const references = imageReferences(images, kind(), session.tenant);
    const describe = (choice: ImageReference) =>
      `${choice.version ? `version ${choice.version}` : ''}${choice.image.description ? ` · ${choice.image.description}` : ''}`;
    replace(imageList, references.map((choice) => h('option', { value: choice.reference }, describe(choice) || choice.reference)));
    if (imagesResult === 'unavailable') {
      replace(catalog, h('p', { class: 'hint' }, 'The image catalog is not available on this server yet; type the image name.'));
      return;
    }
    replace(catalog, references.map((choice) => h('button', {
      type: 'button', class: 'catalog-item', 'aria-pressed': String(imageInput.value === choice.reference), 'data-reference': choice.reference,
      onclick: () => { imageInput.value = choice.reference; imageInput.dispatchEvent(new Event('input')); renderCatalog(); },
    }, h('strong', null, choice.reference), choice.version ? ` ${choice.version}` : '',
    h('span', { class: 'choice-text' }, choice.image.description ?? (choice.channel ? `channel ${choice.channel}` : `${choice.image.os}, ${ownerLabel(choice.image)}`)))));
  };
  let nameTouched = false;
  nameInput.addEventListener('input', () => { nameTouched = true; nameField.setError(null); });
  imageInput.addEventListener('input', () => {
    imageField.setError(null);
    if (!nameTouched && imageInput.value) nameInput.value = suggestName(imageInput.value);
  });
  const imageStep = h('fieldset', { class: 'step' }, h('legend', null, 'Which image?'), imageField.element, imageList, catalog, nameField.element);

  // ---- step 3: type and resources
  const typeName = uid('type');
  const typeChoices = h('div', { class: 'choices types' });
  const vcpusInput = h('input', { type: 'number', min: 1, max: 64, step: 1, required: true });
  const memoryInput = h('input', { type: 'number', min: 16, max: 262144, step: 16, required: true });
  const diskInput = h('input', { type: 'number', min: 1, max: 4096, step: 1, required: true });
  const vcpusField = field('vCPUs', vcpusInput);
  const memoryField = field('Memory (MiB)', memoryInput);
  const diskField = field('Disk (GiB)', diskInput);
  let chosenType: InstanceType | null = null;
  const applyType = (type: InstanceType) => {
    chosenType = type;
    vcpusInput.value = String(type.vcpus);
    memoryInput.value = String(type.memoryMiB);
    diskInput.value = String(type.diskGiB);
  };
  const renderTypes = () => {
    const fitting = types.filter((type) => type.kind === kind());
    if (!chosenType || chosenType.kind !== kind()) {
      if (fitting[0]) applyType(fitting[0]);
    }
    replace(typeChoices, fitting.map((type) => {
      const input = h('input', { type: 'radio', name: typeName, value: type.name, id: uid('type'), checked: chosenType?.name === type.name });
      input.addEventListener('change', () => { if (input.checked) applyType(type); });
      return h('label', { class: 'choice', for: input.id }, input, h('span', { class: 'choice-title' }, type.name), h('span', { class: 'choice-text' }, `${type.vcpus} vCPU · ${formatMiB(type.memoryMiB)} · ${formatGiB(type.diskGiB)}`));
    }));
  };
  const sizeStep = h('fieldset', { class: 'step' }, h('legend', null, 'Type and resources'), h('div', { role: 'radiogroup', 'aria-label': 'Instance type' }, typeChoices), h('p', { class: 'hint' }, 'The type sets the sizes below; change them to override it.'), h('div', { class: 'field-row' }, vcpusField.element, memoryField.element, diskField.element));

  // ---- step 4: network
  const startInput = h('input', { type: 'checkbox', id: uid('start'), checked: true });
  const networkStep = h('fieldset', { class: 'step' }, h('legend', null, 'Network'),
    h('label', { class: 'choice' }, h('input', { type: 'radio', name: uid('network'), checked: true, value: 'tenant' }), h('span', { class: 'choice-title' }, 'Tenant network'), h('span', { class: 'choice-text' }, 'Your tenant\'s private network on the host; the instance gets the next free address.')),
    h('p', { class: 'hint' }, "Public addresses, port forwards and a firewall: on the instance's Network tab once it is created."),
    h('label', { class: 'checkbox', for: startInput.id }, startInput, ' Start the instance once it is created'));

  // ---- also step 4: how to get in, and what to run at first boot (through the metadata service)
  let keyInputs: HTMLInputElement[] = [];
  const keysBox = h('div', { class: 'choices', role: 'group', 'aria-label': 'SSH keys' }, h('p', { class: 'hint' }, 'Loading your SSH keys…'));
  void listSshKeys(signal).then((answer) => {
    keyInputs = answer.items.map((key) => h('input', { type: 'checkbox', value: key.id, id: uid('key') }));
    replace(keysBox, answer.items.length === 0
      ? h('p', { class: 'hint' }, 'You have no SSH keys yet; ', h('a', { href: '#/ssh-keys' }, 'add one'), ' to log in as root.')
      : answer.items.map((key, index) => h('label', { class: 'checkbox', for: keyInputs[index].id }, keyInputs[index], ` ${key.name} `,
        h('code', { class: 'state-detail' }, key.fingerprint))));
  }).catch(() => replace(keysBox, h('p', { class: 'hint' }, 'Your SSH keys could not be loaded; you can create the instance without them.')));
  const userDataInput = h('textarea', { rows: 4, spellcheck: false, maxlength: 65536, placeholder: '#!/bin/sh\nhttpd -p 80 -h /www' });
  const userDataField = field('User-data (optional)', userDataInput, 'A script starting with #! (run once at first boot) or cloud-config; the instance reads it from its metadata service.');
  networkStep.append(h('h3', null, 'SSH keys'), keysBox, userDataField.element);

  // ---- step 5: review
  const review = h('div', { class: 'review' });
  const reviewStep = h('fieldset', { class: 'step' }, h('legend', null, 'Review'), review);

  const sizes = () => ({ vcpus: Number(vcpusInput.value), memoryMiB: Number(memoryInput.value), diskGiB: Number(diskInput.value) });
  const renderReview = () => {
    const s = sizes();
    const quotaChecks = !isPlatformAdmin(session) && quota !== null ? checkRequest(quota, s) : [];
    const over = quotaChecks.filter((check) => !check.fits);
    // Over quota: the panel would refuse it; say so and do not offer Create.
    createButton.disabled = over.length > 0;
    replace(feedback, over.length > 0
      ? h('div', { class: 'banner error', role: 'alert', 'data-testid': 'over-quota' },
        `Over quota: ${over.map((check) => QUOTA_LABELS[check.resource]?.label ?? check.resource).join(', ')}. Choose smaller sizes (Back) or ask your tenant admin for a larger quota.`)
      : null);
    const quotaPart = isPlatformAdmin(session)
      ? h('p', { class: 'hint' }, 'The panel checks the tenant\'s quota when you create the instance; see it under Tenants.')
      : quota === null
      ? (quotaResult instanceof Error ? errorBanner(quotaResult, 'Loading the quota') : unavailable('The quota preview', 'GET /api/v1/quota'))
      : h('ul', { class: 'quota-check' }, quotaChecks.map((check) => {
        const label = QUOTA_LABELS[check.resource]?.label ?? check.resource;
        const format = check.resource === 'memoryMiB' ? formatMiB : check.resource === 'diskGiB' ? formatGiB : String;
        return h('li', { class: check.fits ? 'fits' : 'exceeds' }, `${label}: needs ${format(check.requested)}, `, check.left === null ? 'no limit' : `${format(check.left)} left`, check.fits ? '' : ' — over quota');
      }));
    const price = plan ? monthlyPrice(plan, s) : null;
    const pricePart = price
      ? h('p', { class: 'price', 'data-testid': 'price' }, h('strong', null, formatMoney(price.total, price.currency)), ' per month if it runs all month',
        h('span', { class: 'hint' }, ` (vCPUs ${formatMoney(price.vcpus, price.currency)}, memory ${formatMoney(price.memory, price.currency)}, disk ${formatMoney(price.disk, price.currency)})`))
      : unavailable('The price preview', 'GET /api/v1/prices');
    replace(review,
      h('dl', { class: 'summary' },
        isPlatformAdmin(session) ? [h('dt', null, 'Tenant'), h('dd', null, tenantSelect.value || '—')] : null,
        h('dt', null, 'Name'), h('dd', null, nameInput.value),
        h('dt', null, 'Kind'), h('dd', null, kind()),
        h('dt', null, 'Image'), h('dd', null, imageInput.value),
        h('dt', null, 'Type'), h('dd', null, chosenType?.name ?? 'custom'),
        h('dt', null, 'Resources'), h('dd', null, `${s.vcpus} vCPU · ${formatMiB(s.memoryMiB)} · ${formatGiB(s.diskGiB)}`),
        h('dt', null, 'Start'), h('dd', null, startInput.checked ? 'once created' : 'no')),
      h('h3', null, 'Quota left'), quotaPart,
      h('h3', null, 'Price'), pricePart);
  };

  const steps = [kindStep, imageStep, sizeStep, networkStep, reviewStep];

  const validate = (index: number): boolean => {
    if (index === 0 && isPlatformAdmin(session) && !tenantSelect.value) {
      tenantField.setError('choose the tenant');
      tenantSelect.focus();
      return false;
    }
    if (index === 1) {
      let ok = true;
      const imageProblem = imageReferenceProblem(imageInput.value);
      if (imageProblem) {
        imageField.setError(imageProblem);
        ok = false;
      }
      const problem = newInstanceNameProblem(nameInput.value, takenNames());
      nameField.setError(problem);
      if (problem) ok = false;
      if (!ok) (imageField.element.querySelector('[aria-invalid="true"]') as HTMLElement ?? nameInput).focus();
      return ok;
    }
    if (index === 2) {
      const checks: [HTMLInputElement, { setError: (m: string | null) => void }, number, number][] = [
        [vcpusInput, vcpusField, 1, 64], [memoryInput, memoryField, 16, 262144], [diskInput, diskField, 1, 4096],
      ];
      let ok = true;
      for (const [input, f, min, max] of checks) {
        const value = Number(input.value);
        const bad = !Number.isInteger(value) || value < min || value > max;
        f.setError(bad ? `a whole number from ${min} to ${max}` : null);
        if (bad && ok) { input.focus(); ok = false; }
      }
      return ok;
    }
    return true;
  };

  const back = h('button', { type: 'button', onclick: () => show(step - 1) }, 'Back');
  const nextButton = h('button', { type: 'button', class: 'primary', onclick: () => { if (validate(step)) show(step + 1); } }, 'Next');
  const createButton = h('button', { type: 'submit', class: 'primary', 'data-testid': 'create' }, 'Create instance');

  function show(index: number) {
    step = Math.max(0, Math.min(STEPS.length - 1, index));
    steps.forEach((element, i) => { element.hidden = i !== step; });
    replace(stepList, STEPS.map((label, i) => h('li', { class: i === step ? 'current' : i < step ? 'done' : '', 'aria-current': i === step ? 'step' : null }, label)));
    back.hidden = step === 0;
    nextButton.hidden = step === STEPS.length - 1;
    createButton.hidden = step !== STEPS.length - 1;
    if (step === 1) renderCatalog();
    if (step === 2) renderTypes();
    if (step === STEPS.length - 1) renderReview();
    const first = steps[step].querySelector<HTMLElement>('input:checked, input, select');
    first?.focus();
  }

  for (const radio of kindRadios) radio.input.addEventListener('change', () => { chosenType = null; });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    // Enter in a field moves on to the next step; only the review step creates.
    if (step < STEPS.length - 1) {
      if (validate(step)) show(step + 1);
      return;
    }
    for (let i = 0; i < STEPS.length - 1; i++) {
      if (!validate(i)) { show(i); validate(i); return; }
    }
    const s = sizes();
    const request: CreateInstanceRequest = { name: nameInput.value, kind: kind(), image: imageInput.value, start: startInput.checked };
    if (chosenType) request.type = chosenType.name;
    const keys = keyInputs.filter((input) => input.checked).map((input) => input.value);
    if (keys.length > 0) request.sshKeys = keys;
    if (userDataInput.value.trim()) request.userData = userDataInput.value;
    if (!chosenType || chosenType.vcpus !== s.vcpus || chosenType.memoryMiB !== s.memoryMiB || chosenType.diskGiB !== s.diskGiB) {
      Object.assign(request, s);
    }
    if (isPlatformAdmin(session)) request.tenant = tenantSelect.value;
    createButton.disabled = true;
    replace(feedback, h('p', { class: 'hint' }, 'Creating…'));
    try {
      const operation = await createInstance(request);
      if (signal.aborted) return;
      const tracker = trackOperation(operation, events);
      replace(feedback, h('p', null, `Creating ${request.name}…`), tracker.element);
      if (operation.target) navigate(`#/instances/${encodeURIComponent(operation.target)}`);
    } catch (error) {
      createButton.disabled = false;
      replace(feedback, errorBanner(error, 'The instance was not created'));
      feedback.querySelector<HTMLElement>('[role="alert"]')?.focus();
    }
  });

  form.append(stepList, ...steps, feedback, h('div', { class: 'wizard-actions' }, back, nextButton, createButton));
  root.append(form);
  show(0);
};
