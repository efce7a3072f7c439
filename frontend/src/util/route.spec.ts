import { describe, expect, it } from 'vitest';
import { hashPath, linkTo, matchRoute } from './route';

const routes = [
  { name: 'dashboard', pattern: '/' },
  { name: 'instances', pattern: '/instances' },
  { name: 'new', pattern: '/instances/new' },
  { name: 'instance', pattern: '/instances/:id' },
  { name: 'tab', pattern: '/instances/:id/:tab' },
];

describe('routes', () => {
  it('reads the path and query of a hash', () => {
    expect(hashPath('').path).toBe('/');
    expect(hashPath('#/instances/').path).toBe('/instances');
    expect(hashPath('#//a//b?x=1').query.get('x')).toBe('1');
  });

  it('matches the first route in order', () => {
    expect(matchRoute(routes, '#/')?.name).toBe('dashboard');
    expect(matchRoute(routes, '#/instances/new')?.name).toBe('new');
    expect(matchRoute(routes, '#/instances/a%20b')).toMatchObject({ name: 'instance', params: { id: 'a b' } });
    expect(matchRoute(routes, '#/instances/x/console?type=vnc')).toMatchObject({ params: { id: 'x', tab: 'console' } });
    expect(matchRoute(routes, '#/instances/x/console?type=vnc')?.query.get('type')).toBe('vnc');
    expect(matchRoute(routes, '#/nothing')).toBeNull();
    expect(matchRoute(routes, '#/instances/%E0%A4%A')).toBeNull();
  });

  it('builds links', () => {
    expect(linkTo('/instances/:id', { id: 'a/b' })).toBe('#/instances/a%2Fb');
    expect(linkTo('/billing', {}, { period: '2026-11' })).toBe('#/billing?period=2026-11');
  });
});
