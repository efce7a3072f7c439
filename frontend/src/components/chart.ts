// Small SVG charts: a line chart of a series and a horizontal stacked bar.

import { barSegments, linePath, linePoints, niceMax } from '../lib/chart';
import { h, svg } from '../lib/dom';

export function lineChart(title: string, values: number[], format: (value: number) => string): HTMLElement {
  const width = 320;
  const height = 100;
  const max = niceMax(Math.max(0, ...values));
  const points = linePoints(values, width, height, max);
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: 'none', class: 'line-chart', role: 'img', 'aria-label': `${title}: last value ${values.length ? format(values[values.length - 1]) : 'none'}` },
    svg('line', { x1: 0, y1: height, x2: width, y2: height, class: 'axis' }),
    svg('path', { d: linePath(points), class: 'line' }));
  return h('figure', { class: 'chart' }, h('figcaption', null, title, h('span', { class: 'chart-max' }, `max ${format(max)}`)), chart);
}

export interface BarPart {
  key: string;
  label: string;
  value: number;
}

/** One bar: the parts side by side against `max` (e.g. allocated then free against allocatable). */
export function stackedBar(title: string, parts: BarPart[], max: number, marker?: { label: string; value: number }): HTMLElement {
  const width = 300;
  const rects = barSegments(parts, width, max);
  const bar = svg('svg', { viewBox: `0 0 ${width} 16`, preserveAspectRatio: 'none', class: 'bar-chart', role: 'img', 'aria-label': `${title}: ${parts.map((p) => `${p.label} ${p.value}`).join(', ')}` },
    svg('rect', { x: 0, y: 0, width, height: 16, class: 'bar-track' }),
    ...rects.map((rect) => svg('rect', { x: rect.x, y: 0, width: rect.width, height: 16, class: `bar-${rect.key}` })),
    ...(marker && max > 0 ? [svg('line', { x1: Math.min(width, (marker.value / max) * width), x2: Math.min(width, (marker.value / max) * width), y1: 0, y2: 16, class: 'bar-marker' })] : []));
  return h('figure', { class: 'bar' }, h('figcaption', null, title), bar);
}
