import { h } from '../lib/dom';
import type { Page } from './page';

export const notFoundPage: Page = (root) => {
  root.append(
    h('h1', null, 'Not found'),
    h('p', null, 'There is no such page here. ', h('a', { href: '#/' }, 'Go to the dashboard'), '.'),
  );
};
