// Allocation against its ceiling (a tenant's limits, a host's allocatable capacity) and measured
// use over a range the user picks: one chart each for vCPUs, memory and disk.

import type { CapacitySeries } from '../api/capacity';
import { isUnavailable } from '../api/client';
import { h, replace } from '../lib/dom';
import { formatDateTime, formatGiB, formatMiB } from '../util/format';
import { capacityColumns } from '../util/capacitySeries';
import { RANGES, rangeOf, type RangeName } from '../util/timeSeries';
import { timeChart, type TimeChartHandle } from './timeChart';
import { empty, errorBanner, loading, unavailable } from './ui';

export interface CapacityHistoryHandle {
  element: HTMLElement;
  dispose(): void;
}

export function capacityHistory(options: {
  load: (range: { from: string; to: string }) => Promise<CapacitySeries>;
  ceilingLabel: string;
  endpoint: string;
  testId: string;
}): CapacityHistoryHandle {
  let range: RangeName = 'day';
  let charts: TimeChartHandle[] = [];
  let generation = 0;
  const holder = h('div', null, loading('Loading the history'));
  const buttons = (['hour', 'day', 'week', 'month'] as RangeName[]).map((name) => h('button', {
    type: 'button', class: 'small', 'aria-pressed': String(name === range), 'data-range': name,
    onclick: () => { range = name; for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.range === name)); void load(); },
  }, RANGES[name].label));
  const element = h('div', { 'data-testid': options.testId },
    h('div', { class: 'toolbar range-picker', role: 'group', 'aria-label': 'Range' }, buttons), holder);

  const load = async () => {
    const mine = ++generation;
    const span = rangeOf(range, new Date());
    try {
      const series = await options.load({ from: span.from, to: span.to });
      if (mine !== generation) return;
      charts.forEach((chart) => chart.dispose());
      const columns = capacityColumns(series);
      const bounds = { min: span.min, max: span.max };
      const ceiling = options.ceilingLabel;
      charts = [
        timeChart({ title: 'vCPUs', testId: `${options.testId}-vcpus`, range: bounds, format: (v) => String(Math.round(v * 10) / 10),
          columns: [columns.x, columns.vcpus, columns.vcpusCeiling],
          series: [{ label: 'allocated', color: '#6b3fa0' }, { label: ceiling, color: '#b3261e' }] }),
        timeChart({ title: 'Memory', testId: `${options.testId}-memory`, range: bounds, format: formatMiB,
          columns: [columns.x, columns.memory, columns.memoryUsed, columns.memoryCeiling],
          series: [{ label: 'allocated', color: '#0b63c5' }, { label: 'used', color: '#0e7a3b' }, { label: ceiling, color: '#b3261e' }] }),
        timeChart({ title: 'Disk', testId: `${options.testId}-disk`, range: bounds, format: formatGiB,
          columns: [columns.x, columns.disk, columns.diskUsed, columns.diskCeiling],
          series: [{ label: 'allocated', color: '#8a5a00' }, { label: 'used', color: '#0e7a3b' }, { label: ceiling, color: '#b3261e' }] }),
      ];
      replace(holder,
        series.points.length === 0 ? empty('Nothing in this range.') : null,
        h('p', { class: 'hint' }, `${formatDateTime(series.from)} to ${formatDateTime(series.to)}, one point per ${stepName(series.stepSeconds)}: `
          + 'allocated as at the start of each, used as measured (gaps where nothing was measured).'),
        h('div', { class: 'charts time-charts' }, charts.map((chart) => chart.element)));
    } catch (error) {
      if (mine !== generation) return;
      replace(holder, isUnavailable(error) ? unavailable('The history', options.endpoint) : errorBanner(error, 'Loading the history'));
    }
  };
  void load();
  return { element, dispose: () => { generation++; charts.forEach((chart) => chart.dispose()); } };
}

function stepName(seconds: number): string {
  if (seconds % 86_400 === 0) return seconds === 86_400 ? 'day' : `${seconds / 86_400} days`;
  if (seconds % 3600 === 0) return seconds === 3600 ? 'hour' : `${seconds / 3600} hours`;
  return seconds === 60 ? 'minute' : `${seconds / 60} minutes`;
}
