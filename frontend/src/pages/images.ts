import { isUnavailable } from '../api/client';
import { acceptImageOffer, declineImageOffer, listImageOffers, listImages, type Image, type ImageFilter } from '../api/images';
import { empty, errorBanner, field, loading, pageHeader, section, table, unavailable } from '../components/ui';
import { h, replace } from '../lib/dom';
import { formatBytes, formatDateTime } from '../util/format';
import { channelList, ownerLabel, shortSha256 } from '../util/images';
import { canOperate, isPlatformAdmin } from '../util/roles';
import type { Page, PageContext } from './page';

const FILTERS = ['kind', 'os', 'channel', 'visibility'] as const;
type FilterName = (typeof FILTERS)[number];

/** The link to an image's page. */
export const imageLink = (image: Pick<Image, 'id'>) => `#/images/${encodeURIComponent(image.id)}`;

export function deprecatedBadge(): HTMLElement {
  return h('span', { class: 'badge tone-bad', 'data-testid': 'deprecated' }, 'deprecated');
}

/** An image's SHA-256, shortened, the whole of it in the title. */
export function sha256Cell(sha256: string | null | undefined): Node | string {
  return sha256 ? h('code', { title: sha256, 'data-sha256': sha256 }, shortSha256(sha256)) : '—';
}

function channelsCell(channels: Record<string, string> | undefined): Node | string {
  const lines = channelList(channels);
  return lines.length === 0 ? '—' : h('span', { class: 'channel-list' }, lines.map((line) => h('span', null, line)));
}

function imageRows(images: Image[]): (Node | string)[][] {
  return images.map((image) => [
    h('span', { class: 'image-name' }, h('a', { href: imageLink(image) }, image.name), image.deprecated ? deprecatedBadge() : null),
    image.kind,
    image.os,
    image.latestVersion ?? '—',
    channelsCell(image.channels),
    h('span', null, image.visibility, h('span', { class: 'state-detail' }, ownerLabel(image))),
    formatBytes(image.sizeBytes),
    sha256Cell(image.sha256),
    formatDateTime(image.createdAt),
  ]);
}

interface CatalogOptions {
  /** The admin's page: only the provider's images (no tenant). */
  providerOnly?: boolean;
  /** Where the filters live in the address, e.g. '#/images'. */
  hash: string;
}

/**
 * The catalog: filters (kind, OS, channel, visibility; kept in the address) and a table whose rows
 * lead to each image's page.
 */
export function renderCatalog(root: HTMLElement, context: PageContext, options: CatalogOptions): void {
  const { signal, events } = context;
  const select = (label: string, name: FilterName, choices: [string, string][]) => {
    const control = h('select', { name }, choices.map(([value, text]) => h('option', { value }, text)));
    return { control, element: field(label, control).element };
  };
  const kind = select('Kind', 'kind', [['', 'All kinds'], ['jail', 'Jails'], ['vm', 'Virtual machines']]);
  const os = select('OS', 'os', [['', 'Any OS']]);
  const channel = select('Channel', 'channel', [['', 'Any channel']]);
  const visibility = select('Visibility', 'visibility', [['', 'Any visibility'], ['public', 'Public'], ['private', 'Private'], ['shared', 'Shared']]);
  const controls: Record<FilterName, HTMLSelectElement> = { kind: kind.control, os: os.control, channel: channel.control, visibility: visibility.control };
  const filters = h('form', { class: 'inline-form filters', role: 'search', 'aria-label': 'Filter images' },
    kind.element, os.element, channel.element, visibility.element);
  filters.addEventListener('submit', (event) => event.preventDefault());
  const body = h('div', null, loading('Loading images'));
  root.append(section(options.providerOnly ? 'Provider images' : 'Catalog', filters, body));

  // Choices seen so far, so a filter never hides its own value.
  const seen: Record<'os' | 'channel', Set<string>> = { os: new Set(), channel: new Set() };
  const fillChoices = (name: 'os' | 'channel', values: Iterable<string>) => {
    const before = seen[name].size;
    for (const value of values) seen[name].add(value);
    if (seen[name].size === before && controls[name].options.length > 1) return;
    const current = controls[name].value;
    replace(controls[name], h('option', { value: '' }, name === 'os' ? 'Any OS' : 'Any channel'),
      [...seen[name]].sort().map((value) => h('option', { value }, value)));
    controls[name].value = current;
  };
  const learn = (images: Image[]) => {
    fillChoices('os', images.map((image) => image.os));
    fillChoices('channel', images.flatMap((image) => Object.keys(image.channels ?? {})));
  };

  for (const name of FILTERS) {
    const value = context.query.get(name);
    if (!value) continue;
    if (name === 'os' || name === 'channel') fillChoices(name, [value]);
    controls[name].value = value;
  }

  let images: Image[] = [];
  let next: string | null | undefined = null;

  const filter = (): ImageFilter => {
    const chosen: ImageFilter = {};
    for (const name of FILTERS) if (controls[name].value) chosen[name] = controls[name].value;
    return chosen;
  };

  const render = () => {
    const shown = options.providerOnly ? images.filter((image) => !image.tenant) : images;
    const filtered = Object.keys(filter()).length > 0;
    if (shown.length === 0) {
      replace(body, empty(filtered ? 'No image matches these filters.' : 'No images yet.',
        !filtered && canOperate(context.session) && !options.providerOnly ? h('a', { class: 'button primary', href: '#/images/new' }, 'Create an image') : h('span')));
      return;
    }
    replace(body,
      table('Images', ['Name', 'Kind', 'OS', 'Latest version', 'Channels', 'Visibility', 'Size', 'SHA-256', 'Added'], imageRows(shown), (index) => ({
        class: 'row-link', 'data-image': shown[index].name, 'data-image-id': shown[index].id,
        onclick: (event: MouseEvent) => {
          // The name is the link (and the keyboard's way); a click anywhere else on the row follows it too.
          if ((event.target as Element).closest('a, button') || window.getSelection()?.toString()) return;
          context.navigate(imageLink(shown[index]));
        },
      })),
      next ? h('button', { type: 'button', onclick: () => void load(true) }, 'Show more') : null);
  };

  let generation = 0;
  const load = async (more = false) => {
    const mine = ++generation;
    try {
      const page = await listImages({ ...filter(), limit: 200, cursor: more ? next ?? undefined : undefined }, signal);
      if (signal.aborted || mine !== generation) return;
      images = more ? [...images, ...page.items] : page.items;
      next = page.next;
      learn(page.items);
      render();
    } catch (error) {
      if (signal.aborted || mine !== generation) return;
      replace(body, isUnavailable(error) ? unavailable('The image catalog', 'GET /api/v1/images') : errorBanner(error, 'Loading images'));
    }
  };

  // The filters' choices come from the whole catalog, whatever is filtered.
  if (Object.keys(filter()).length > 0) {
    listImages({ limit: 200 }, signal).then((page) => { if (!signal.aborted) learn(page.items); }).catch(() => undefined);
  }
  filters.addEventListener('change', () => {
    const chosen = filter() as Record<string, string>;
    const search = new URLSearchParams(chosen).toString();
    // The address keeps the filters (for reloads and links) without showing the page anew.
    history.replaceState(history.state, '', `${options.hash}${search ? `?${search}` : ''}`);
    void load();
  });

  let reload: ReturnType<typeof setTimeout> | null = null;
  const unsubscribe = events.subscribe((event) => {
    if (event.targetType !== 'image' || reload) return;
    reload = setTimeout(() => { reload = null; void load(); }, 500);
  });
  signal.addEventListener('abort', () => {
    unsubscribe();
    if (reload) clearTimeout(reload);
  });
  void load();
}

export const imagesPage: Page = (root, context) => {
  root.append(pageHeader('Images',
    canOperate(context.session) ? h('a', { class: 'button primary', href: '#/images/new', 'data-testid': 'new-image' }, 'New image') : null));
  if (!isPlatformAdmin(context.session)) {
    const offers = h('div');
    root.append(offers);
    renderOffers(offers, context);
  }
  renderCatalog(root, context, { hash: '#/images' });
};

/** Images other tenants offer to this one: a tenant admin accepts or declines each. */
function renderOffers(target: HTMLElement, context: PageContext) {
  const admin = context.session.roles.includes('tenant-admin');
  const load = () => listImageOffers(context.signal).then(({ items }) => {
    replace(target, items.length === 0 ? [] : section('Offered to your tenant',
      h('p', { class: 'hint' }, 'Another tenant offers these images. They enter your catalog only once a tenant admin accepts them.'),
      table('Image offers', ['Image', 'Kind', 'From', 'Offered', ''], items.map((offer) => [
        offer.name, offer.kind, `${offer.from} (${offer.offeredBy})`, formatDateTime(offer.offeredAt),
        admin ? h('span', { class: 'actions' },
          h('button', { type: 'button', class: 'small', onclick: async () => {
            try { await acceptImageOffer(offer.image); void load(); } catch (error) { target.prepend(errorBanner(error, `Accept ${offer.name}`)); }
          } }, `Accept ${offer.name}`),
          h('button', { type: 'button', class: 'small', onclick: async () => {
            try { await declineImageOffer(offer.image); void load(); } catch (error) { target.prepend(errorBanner(error, `Decline ${offer.name}`)); }
          } }, 'Decline')) : 'a tenant admin decides',
      ]))));
  }).catch(() => replace(target));
  void load();
}
