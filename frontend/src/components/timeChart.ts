// A time chart with uPlot: a real time axis in the user's zone, a value axis in the figure's unit,
// a legend that follows the cursor, and gaps where data is missing (null points are not joined).

import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h } from '../lib/dom';

export interface TimeChartSeries {
  label: string;
  color: string;
  /** Bars instead of a line (amounts per day). */
  bars?: boolean;
}

export interface TimeChartHandle {
  element: HTMLElement;
  dispose(): void;
}

export function timeChart(options: {
  title: string;
  columns: [number[], ...(number | null)[][]];
  series: TimeChartSeries[];
  format: (value: number) => string;
  /** The x range shown in Unix seconds, whatever the data covers. */
  range?: { min: number; max: number };
  height?: number;
  testId?: string;
}): TimeChartHandle {
  const holder = h('div', { class: 'time-chart-plot' });
  const gaps = options.columns[1]?.filter((value) => value === null).length ?? 0;
  const figure = h('figure', { class: 'chart time-chart', 'data-testid': options.testId ?? null, 'data-points': String(options.columns[0].length), 'data-gaps': String(gaps) },
    h('figcaption', null, options.title), holder);
  const empty = options.columns[0].length === 0;
  if (empty) holder.append(h('p', { class: 'hint' }, 'No samples in this range.'));
  const plot = new uPlot({
    width: 600,
    height: options.height ?? 180,
    scales: { x: { time: true, ...(options.range ? { range: () => [options.range!.min, options.range!.max] as [number, number] } : {}) } },
    axes: [
      { stroke: '#5c6477', grid: { stroke: '#eceef2' } },
      { stroke: '#5c6477', grid: { stroke: '#eceef2' }, size: 84, values: (_, ticks) => ticks.map((tick) => options.format(tick)) },
    ],
    series: [
      { label: 'Time', value: (_, value) => (value === null ? '—' : new Date(value * 1000).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })) },
      ...options.series.map((series) => ({
        label: series.label,
        stroke: series.color,
        width: 1.5,
        fill: series.bars ? `${series.color}55` : undefined,
        spanGaps: false,
        paths: series.bars ? uPlot.paths.bars!({ size: [0.8, 40] }) : undefined,
        points: { show: false },
        value: (_: uPlot, value: number | null) => (value === null ? '—' : options.format(value)),
      })),
    ],
    legend: { live: true },
  }, options.columns as uPlot.AlignedData, holder);
  const resize = () => {
    const width = Math.max(240, Math.floor(holder.clientWidth));
    if (width !== plot.width) plot.setSize({ width, height: options.height ?? 180 });
  };
  const observer = new ResizeObserver(resize);
  observer.observe(holder);
  requestAnimationFrame(resize);
  return { element: figure, dispose: () => { observer.disconnect(); plot.destroy(); } };
}
