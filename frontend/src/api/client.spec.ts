import { describe, expect, it } from 'vitest';
import { ApiError, apiUrl, isUnavailable, parseError } from './client';

describe('API client', () => {
  it('builds URLs with the defined query parameters only', () => {
    expect(apiUrl('/instances')).toBe('/api/v1/instances');
    expect(apiUrl('/instances', { kind: 'jail', limit: 10, cursor: undefined, tenant: null, state: '' }))
      .toBe('/api/v1/instances?kind=jail&limit=10');
    expect(apiUrl('/usage', { from: '2026-11-01T00:00:00Z' })).toBe('/api/v1/usage?from=2026-11-01T00%3A00%3A00Z');
  });

  it('reads the API error shape', () => {
    const error = parseError(409, JSON.stringify({
      error: 'no_host_for_kind', message: 'no ready host can run instances of kind jail', details: { hosts: { vm: 'no runtime' } },
    }));
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(409);
    expect(error.code).toBe('no_host_for_kind');
    expect(error.message).toBe('no ready host can run instances of kind jail');
    expect(error.details).toEqual({ hosts: { vm: 'no runtime' } });
  });

  it('copes with answers that are not the error shape', () => {
    expect(parseError(502, '<html>Bad gateway</html>', 'Bad Gateway')).toMatchObject({ code: 'http_502', message: 'Bad Gateway' });
    expect(parseError(404, '')).toMatchObject({ code: 'endpoint_missing', message: 'not available on this server' });
    expect(parseError(500, '{}', '')).toMatchObject({ message: 'HTTP 500' });
  });

  it('tells a missing feature endpoint from other errors', () => {
    expect(isUnavailable(parseError(404, '{"error":"not_found","message":"HTTP 404 Not Found"}'))).toBe(true);
    expect(isUnavailable(parseError(501, ''))).toBe(true);
    expect(isUnavailable(parseError(403, '{"error":"forbidden","message":"no"}'))).toBe(false);
    expect(isUnavailable(new Error('x'))).toBe(false);
  });
});
