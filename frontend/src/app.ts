import { h, replace } from './lib/dom';
import { EventHub } from './lib/eventHub';
import { matchRoute, type RouteDefinition } from './util/route';
import { canManageTokens, isPlatformAdmin, roleLabel, type Session } from './util/roles';
import { request } from './api/client';
import type { Page, PageContext } from './pages/page';
import { dashboardPage } from './pages/dashboard';
import { instancesPage } from './pages/instances';
import { instanceCreatePage } from './pages/instanceCreate';
import { instancePage } from './pages/instance';
import { imagesPage } from './pages/images';
import { imagePage } from './pages/image';
import { imageCreatePage } from './pages/imageCreate';
import { activityPage } from './pages/activity';
import { sshKeysPage } from './pages/sshKeys';
import { tokensPage } from './pages/tokens';
import { billingPage as tenantBillingPage } from './pages/billing';
import { hostsPage } from './pages/admin/hosts';
import { tenantsPage } from './pages/admin/tenants';
import { publicImagesPage } from './pages/admin/publicImages';
import { billingPage } from './pages/admin/billing';
import { consoleSessionsPage } from './pages/admin/consoleSessions';
import { notFoundPage } from './pages/notFound';

interface AppRoute extends RouteDefinition {
  page: Page;
  title: string;
  admin?: boolean;
}

const ROUTES: AppRoute[] = [
  { name: 'dashboard', pattern: '/', page: dashboardPage, title: 'Dashboard' },
  { name: 'instances', pattern: '/instances', page: instancesPage, title: 'Instances' },
  { name: 'instance-create', pattern: '/instances/new', page: instanceCreatePage, title: 'New instance' },
  { name: 'instance', pattern: '/instances/:id', page: instancePage, title: 'Instance' },
  { name: 'images', pattern: '/images', page: imagesPage, title: 'Images' },
  { name: 'image-create', pattern: '/images/new', page: imageCreatePage, title: 'New image' },
  { name: 'image', pattern: '/images/:id', page: imagePage, title: 'Image' },
  { name: 'activity', pattern: '/activity', page: activityPage, title: 'Activity' },
  { name: 'ssh-keys', pattern: '/ssh-keys', page: sshKeysPage, title: 'SSH keys' },
  { name: 'api-tokens', pattern: '/tokens', page: tokensPage, title: 'API tokens' },
  { name: 'tenant-billing', pattern: '/billing', page: tenantBillingPage, title: 'Usage and billing' },
  { name: 'hosts', pattern: '/admin/hosts', page: hostsPage, title: 'Hosts', admin: true },
  { name: 'tenants', pattern: '/admin/tenants', page: tenantsPage, title: 'Tenants', admin: true },
  { name: 'public-images', pattern: '/admin/images', page: publicImagesPage, title: 'Public images', admin: true },
  { name: 'billing', pattern: '/admin/billing', page: billingPage, title: 'Billing', admin: true },
  { name: 'console-sessions', pattern: '/admin/consoles', page: consoleSessionsPage, title: 'Console sessions', admin: true },
];

const NAVIGATION: { heading: string; admin: boolean; items: { label: string; hash: string; route: string; shown?: (session: Session) => boolean }[] }[] = [
  {
    heading: 'Tenant',
    admin: false,
    items: [
      { label: 'Dashboard', hash: '#/', route: 'dashboard' },
      { label: 'Instances', hash: '#/instances', route: 'instances' },
      { label: 'Images', hash: '#/images', route: 'images' },
      { label: 'Activity', hash: '#/activity', route: 'activity' },
      { label: 'Usage and billing', hash: '#/billing', route: 'tenant-billing' },
      { label: 'SSH keys', hash: '#/ssh-keys', route: 'ssh-keys' },
      { label: 'API tokens', hash: '#/tokens', route: 'api-tokens', shown: canManageTokens },
    ],
  },
  {
    heading: 'Platform',
    admin: true,
    items: [
      { label: 'Hosts', hash: '#/admin/hosts', route: 'hosts' },
      { label: 'Tenants', hash: '#/admin/tenants', route: 'tenants' },
      { label: 'Public images', hash: '#/admin/images', route: 'public-images' },
      { label: 'Billing', hash: '#/admin/billing', route: 'billing' },
      { label: 'Console sessions', hash: '#/admin/consoles', route: 'console-sessions' },
    ],
  },
];

/** The portal's frame (header, navigation, main area) and its hash router. */
export function startApp(root: HTMLElement, session: Session): void {
  const events = new EventHub(() => {
    // The stream broke: if the session ended, any API call now sends the user to sign in.
    void request('/operations', { query: { limit: 1 } }).catch(() => undefined);
  });
  const main = h('main', { id: 'main', tabindex: '-1' });
  const nav = h('nav', { class: 'sidebar', 'aria-label': 'Main' });
  const streamStatus = h('span', { class: 'stream-status', title: 'Live updates' });
  events.onStatus((status) => {
    streamStatus.textContent = status === 'live' ? '● live' : status === 'reconnecting' ? '○ polling' : '';
    streamStatus.title = status === 'live' ? 'Live updates from the event stream' : 'The event stream is not available; the portal polls';
    streamStatus.dataset.status = status;
  });
  const menuButton = h('button', {
    type: 'button', class: 'menu-button', 'aria-controls': 'sidebar', 'aria-expanded': 'false',
    onclick: () => {
      const open = !document.body.classList.contains('nav-open');
      document.body.classList.toggle('nav-open', open);
      menuButton.setAttribute('aria-expanded', String(open));
    },
  }, h('span', { 'aria-hidden': 'true' }, '☰'), h('span', { class: 'visually-hidden' }, 'Menu'));
  nav.id = 'sidebar';

  const who = session.username
    ? `${session.username}${session.tenant ? ` @ ${session.tenant}` : ''}`
    : 'signed in';
  const header = h(
    'header',
    { class: 'topbar' },
    h('a', { class: 'skip-link', href: '#main', onclick: (event: Event) => { event.preventDefault(); main.focus(); } }, 'Skip to content'),
    menuButton,
    h('a', { class: 'brand', href: '#/' }, 'Multiplicity'),
    streamStatus,
    h('span', { class: 'who', 'data-testid': 'who' }, who, h('span', { class: 'role' }, roleLabel(session))),
    h('a', { class: 'button subtle', href: '/logout', 'data-testid': 'sign-out' }, 'Sign out'),
  );

  for (const group of NAVIGATION) {
    if (group.admin && !isPlatformAdmin(session)) continue;
    nav.append(
      h('h2', { class: 'nav-heading' }, group.heading),
      h('ul', null, group.items.filter((item) => !item.shown || item.shown(session))
        .map((item) => h('li', null, h('a', { href: item.hash, 'data-route': item.route }, item.label)))),
    );
  }
  const demoBanner = session.demo
    ? h('div', { class: 'demo-banner', role: 'note', 'data-testid': 'demo-banner' },
      'Demo installation: the sign-ins are known (password = user name, a platform admin among them). Never use it for real tenants.')
    : null;
  replace(root, header, demoBanner, h('div', { class: 'layout' }, nav, main));

  let cleanup: (() => void) | void = undefined;
  let controller: AbortController | null = null;

  const show = async () => {
    controller?.abort();
    try {
      cleanup?.();
    } catch {
      // a page's clean-up must not stop navigation
    }
    cleanup = undefined;
    document.body.classList.remove('nav-open');
    menuButton.setAttribute('aria-expanded', 'false');
    controller = new AbortController();
    const match = matchRoute(ROUTES, window.location.hash);
    const route = match ? ROUTES.find((candidate) => candidate.name === match.name) : undefined;
    for (const link of nav.querySelectorAll('a')) {
      const current = route && link.dataset.route === route.name;
      if (current) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    const page = route && (!route.admin || isPlatformAdmin(session)) ? route.page : notFoundPage;
    document.title = `${route?.title ?? 'Not found'} · Multiplicity`;
    main.replaceChildren();
    const context: PageContext = {
      session, events, params: match?.params ?? {}, query: match?.query ?? new URLSearchParams(),
      navigate: (hash) => { window.location.hash = hash; }, signal: controller.signal,
    };
    const signal = controller.signal;
    try {
      const result = await page(main, context);
      if (signal.aborted) result?.();
      else cleanup = result;
    } catch (error) {
      if (!signal.aborted) {
        main.append(h('div', { class: 'banner error', role: 'alert' }, error instanceof Error ? error.message : String(error)));
      }
    }
  };
  window.addEventListener('hashchange', () => void show());
  void show();
}
