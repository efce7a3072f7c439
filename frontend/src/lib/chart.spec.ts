import { describe, expect, it } from 'vitest';
import { barSegments, linePath, linePoints, niceMax } from './chart';

describe('chart geometry', () => {
  it('rounds axis maxima up to nice numbers', () => {
    expect(niceMax(0)).toBe(1);
    expect(niceMax(7)).toBe(10);
    expect(niceMax(1.5)).toBe(2);
    expect(niceMax(230)).toBe(250);
    expect(niceMax(4100)).toBe(5000);
  });

  it('maps values to points and a path', () => {
    const points = linePoints([0, 5, 10], 100, 50);
    expect(points).toEqual([{ x: 0, y: 50 }, { x: 50, y: 25 }, { x: 100, y: 0 }]);
    expect(linePath(points)).toBe('M0 50 L50 25 L100 0');
    expect(linePoints([], 100, 50)).toEqual([]);
    expect(linePoints([3], 100, 50, 6)).toEqual([{ x: 0, y: 25 }]);
  });

  it('lays out bar segments and clamps overflow', () => {
    expect(barSegments([{ key: 'a', value: 2 }, { key: 'b', value: 3 }], 100, 10)).toEqual([
      { key: 'a', x: 0, width: 20 },
      { key: 'b', x: 20, width: 30 },
    ]);
    expect(barSegments([{ key: 'a', value: 8 }, { key: 'b', value: 8 }], 100, 10)[1]).toEqual({ key: 'b', x: 80, width: 20 });
    expect(barSegments([{ key: 'a', value: 1 }], 100, 0)[0].width).toBe(0);
  });
});
