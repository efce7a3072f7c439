// Hash routes ("#/instances/abc"), so the panel serves the portal as static files without
// rewriting paths. A route pattern names its parameters with ":".

export interface RouteMatch {
  name: string;
  params: Record<string, string>;
  query: URLSearchParams;
}

export interface RouteDefinition {
  name: string;
  pattern: string;
}

/** The path part of a location hash: "#/a/b?x=1" → "/a/b"; empty → "/". */
export function hashPath(hash: string): { path: string; query: URLSearchParams } {
  const raw = hash.startsWith('#') ? hash.slice(1) : hash;
  const [path, search = ''] = raw.split('?', 2);
  const normalized = '/' + path.split('/').filter(Boolean).join('/');
  return { path: normalized, query: new URLSearchParams(search) };
}

/** The first route whose pattern matches, with its decoded parameters; null when none does. */
export function matchRoute(routes: RouteDefinition[], hash: string): RouteMatch | null {
  const { path, query } = hashPath(hash);
  const parts = path.split('/').filter(Boolean);
  for (const route of routes) {
    const pattern = route.pattern.split('/').filter(Boolean);
    if (pattern.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let matches = true;
    for (let i = 0; i < pattern.length; i++) {
      if (pattern[i].startsWith(':')) {
        try {
          params[pattern[i].slice(1)] = decodeURIComponent(parts[i]);
        } catch {
          matches = false;
          break;
        }
      } else if (pattern[i] !== parts[i]) {
        matches = false;
        break;
      }
    }
    if (matches) return { name: route.name, params, query };
  }
  return null;
}

/** The hash of a route pattern with its parameters filled in (encoded). */
export function linkTo(pattern: string, params: Record<string, string> = {}, query?: Record<string, string>): string {
  const path = pattern
    .split('/')
    .map((part) => (part.startsWith(':') ? encodeURIComponent(params[part.slice(1)] ?? '') : part))
    .join('/');
  const search = query ? new URLSearchParams(query).toString() : '';
  return `#${path}${search ? `?${search}` : ''}`;
}
