import './styles.css';
import { h, replace } from './lib/dom';
import { loadSession } from './lib/session';
import { startApp } from './app';

const LOGIN_ATTEMPT = 'multiplicity.login-attempt';

/**
 * Sends the user to sign in, unless sign-ins keep coming back without a session (a redirect loop,
 * e.g. when the panel refuses the identity provider's tokens): then it says so and offers a button.
 */
function signIn(root: HTMLElement): void {
  const now = Date.now();
  let recent: number[] = [];
  try {
    recent = (JSON.parse(sessionStorage.getItem(LOGIN_ATTEMPT) ?? '[]') as number[]).filter((at) => now - at < 30_000);
  } catch {
    recent = [];
  }
  if (recent.length < 3) {
    sessionStorage.setItem(LOGIN_ATTEMPT, JSON.stringify([...recent, now]));
    window.location.assign('/login');
    return;
  }
  sessionStorage.removeItem(LOGIN_ATTEMPT);
  replace(
    root,
    h(
      'div',
      { class: 'signin' },
      h('h1', null, 'Multiplicity'),
      h('p', null, 'Jails and microVMs for the tenants of a hosting provider.'),
      h('p', { class: 'banner error', role: 'alert' }, 'Signing in did not start a session. Try again, or ask your provider.'),
      h('a', { class: 'button primary', href: '/login' }, 'Sign in'),
    ),
  );
}

async function boot(): Promise<void> {
  const root = document.getElementById('app')!;
  try {
    const session = await loadSession();
    if (!session) {
      signIn(root);
      return;
    }
    sessionStorage.removeItem(LOGIN_ATTEMPT);
    startApp(root, session);
  } catch (error) {
    replace(
      root,
      h(
        'div',
        { class: 'signin' },
        h('h1', null, 'Multiplicity'),
        h('p', { class: 'banner error', role: 'alert' }, error instanceof Error ? error.message : String(error)),
        h('button', { type: 'button', class: 'primary', onclick: () => window.location.reload() }, 'Try again'),
      ),
    );
  }
}

void boot();
