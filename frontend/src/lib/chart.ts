// Pure geometry of the portal's small SVG charts (line and stacked bars); the component in
// components/chart.ts turns it into elements.

export interface Point {
  x: number;
  y: number;
}

/** A "nice" upper bound for an axis: 1, 2, 2.5 or 5 times a power of ten, at least `max`. */
export function niceMax(max: number): number {
  if (!Number.isFinite(max) || max <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * power >= max) return step * power;
  }
  return 10 * power;
}

/** Maps values to chart coordinates inside width × height (y grows downwards). */
export function linePoints(values: number[], width: number, height: number, max = niceMax(Math.max(0, ...values))): Point[] {
  if (values.length === 0) return [];
  const stepX = values.length > 1 ? width / (values.length - 1) : 0;
  return values.map((value, index) => ({
    x: round(index * stepX),
    y: round(height - (Math.max(0, value) / max) * height),
  }));
}

/** The SVG path of a polyline through the points. */
export function linePath(points: Point[]): string {
  return points.map((point, index) => `${index === 0 ? 'M' : 'L'}${point.x} ${point.y}`).join(' ');
}

export interface BarSegment {
  key: string;
  value: number;
}

export interface BarRect {
  key: string;
  x: number;
  width: number;
}

/** Horizontal segments of one bar scaled to `width` against `max` (clamped to the bar). */
export function barSegments(segments: BarSegment[], width: number, max: number): BarRect[] {
  const rects: BarRect[] = [];
  let x = 0;
  for (const segment of segments) {
    const segmentWidth = max > 0 ? (Math.max(0, segment.value) / max) * width : 0;
    const clamped = Math.max(0, Math.min(segmentWidth, width - x));
    rects.push({ key: segment.key, x: round(x), width: round(clamped) });
    x += clamped;
  }
  return rects;
}

const round = (value: number) => Math.round(value * 100) / 100;
