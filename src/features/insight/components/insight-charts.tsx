/**
 * The batch's charts, drawn with uPlot (small, canvas, fast on thousands of points). This module is only ever
 * loaded through React.lazy, so uPlot is not part of the initial JavaScript.
 */
import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { TrackedState } from '../../../../contract/dashboard-api.ts';
import type { BatchInsight } from '../../../../contract/insight-api.ts';
import { STATE_STYLES } from '../../../lib/status-style.ts';
import { chartDataKey } from '../chart-data-key.ts';
import { chartSummaries } from '../chart-summary.ts';

/**
 * A state's chart colour: the stacked bar's own theme token (status-style.ts, tailwind.config.js), read from its
 * CSS variable, because a canvas takes a colour value and not a class.
 */
function stateColor(state: TrackedState, theme: 0 | 1): string {
  const token = STATE_STYLES[state].chart[theme];
  return getComputedStyle(document.documentElement).getPropertyValue(`--color-${token}`).trim() || 'gray';
}

/**
 * A User Timing entry per chart update: its setData and redraw (DevTools' Performance panel shows them;
 * bench/lib/chart-update.ts sums them).
 */
const DRAW_MEASURE = 'insight-charts:draw';

/** Bottom of the stack first: what is finished sits on the axis, what waits on top. */
const STACK_ORDER: readonly TrackedState[] = ['Succeeded', 'Failed', 'Canceled', 'Gone', 'Forbidden', 'InDoubt', 'Running', 'Queued', 'Sending', 'Waiting', 'Unknown'];

function useDark(): boolean {
  const query = '(prefers-color-scheme: dark)';
  const [dark, setDark] = useState(() => window.matchMedia(query).matches);
  useEffect(() => {
    const list = window.matchMedia(query);
    const onChange = () => setDark(list.matches);
    list.addEventListener('change', onChange);
    return () => list.removeEventListener('change', onChange);
  }, []);
  return dark;
}

function useWidth(ref: React.RefObject<HTMLElement | null>): number {
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const observer = new ResizeObserver(([entry]) => setWidth(Math.floor(entry.contentRect.width)));
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref]);
  return width;
}

/** Time ticks in whole seconds at least (uPlot's default goes down to milliseconds: ":54.500" for a quick batch). */
const TIME_INCRS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];
const SECONDS = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const MINUTES = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const DAY_MINUTES = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const DAYS = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

/** One format for all ticks of an axis, as fine as their spacing: seconds, minutes, or days for a week-long batch. */
function timeTicks(u: uPlot, splits: number[], _axis: number, _space: number, incr: number): string[] {
  const span = (u.scales.x.max ?? 0) - (u.scales.x.min ?? 0);
  const format = incr >= 86_400 ? DAYS : span > 86_400 ? DAY_MINUTES : incr < 60 ? SECONDS : MINUTES;
  return splits.map((s) => format.format(new Date(s * 1000)));
}

/** The legend's time while the cursor is on the chart. */
function timeValue(_u: uPlot, v: number | null): string {
  return v === null ? '—' : SECONDS.format(new Date(v * 1000));
}

function axes(dark: boolean, yLabel: string): uPlot.Axis[] {
  // space: pixels per time tick, enough for "12:40:15 AM" with room between two of them.
  const stroke = dark ? '#cbd5e1' : '#334155';
  const grid = { stroke: dark ? '#1e293b' : '#e2e8f0', width: 1 };
  return [
    { stroke, grid, ticks: grid, incrs: TIME_INCRS, values: timeTicks, space: 90 },
    { stroke, grid, ticks: grid, label: yLabel, size: 48 },
  ];
}

/**
 * One uPlot instance per chart, rebuilt when its shape (`optionsKey`: theme, series) or width changes, and fed
 * new data when `dataKey` changes (chart-data-key.ts: a value, or "now" every 30 s); rebuilding on each poll would
 * lose the cursor.
 */
function UPlotChart(props: { options: Omit<uPlot.Options, 'width'>; optionsKey: string; data: uPlot.AlignedData; dataKey: string; label: string }) {
  const { options, optionsKey, data, dataKey, label } = props;
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const width = useWidth(box);
  useEffect(() => {
    if (!box.current || width === 0) return;
    const chart = new uPlot({ ...options, width }, data, box.current);
    plot.current = chart;
    return () => {
      chart.destroy();
      plot.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [optionsKey, width]);
  useEffect(() => {
    if (!plot.current) return;
    const start = performance.now();
    plot.current.setData(data);
    // uPlot redraws in a microtask queued by setData; this one runs right after it.
    queueMicrotask(() => performance.measure(DRAW_MEASURE, { start, end: performance.now() }));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [dataKey]);
  return <div ref={box} role="img" aria-label={label} className="min-w-0 flex-1" />;
}

function statesOptions(states: readonly TrackedState[], dark: boolean): Omit<uPlot.Options, 'width'> {
  const theme = dark ? 1 : 0;
  return {
    height: 150,
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true } },
    axes: axes(dark, 'jobs'),
    // Top of the stack first: each band is drawn down to the axis, and the lower ones paint over it.
    series: [
      { label: 'Time', value: timeValue },
      ...[...states].reverse().map((s) => ({
        label: STATE_STYLES[s].label,
        stroke: stateColor(s, theme),
        fill: stateColor(s, theme),
        width: 1,
        points: { show: false },
        // Counts hold until the next change: steps, not slopes.
        paths: uPlot.paths.stepped!({ align: 1 }),
        // The data are cumulative: a band's own count is its top minus the top of the band below it.
        value: (u: uPlot, _v: number | null, si: number, idx: number | null) => {
          if (idx === null) return '—';
          const top = (u.data[si][idx] as number | null) ?? 0;
          const below = si + 1 < u.data.length ? ((u.data[si + 1][idx] as number | null) ?? 0) : 0;
          return String(top - below);
        },
      })),
    ],
  };
}

function rateOptions(dark: boolean): Omit<uPlot.Options, 'width'> {
  return {
    height: 150,
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
    // Half a minute either side: the first and last bars whole, and their tick labels inside the chart.
    scales: { x: { time: true, range: (_u, min, max) => [min - 30, max + 30] }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
    axes: axes(dark, 'per minute'),
    series: [
      { label: 'Minute', value: (_u: uPlot, v: number | null) => (v === null ? '—' : MINUTES.format(new Date(v * 1000))) },
      {
        label: 'Finished',
        value: (_u: uPlot, v: number | null) => (v === null ? '—' : String(v)),
        stroke: dark ? '#34d399' : '#059669',
        fill: dark ? 'rgba(52, 211, 153, 0.35)' : 'rgba(5, 150, 105, 0.3)',
        paths: uPlot.paths.bars!({ size: [0.8, 40] }),
        points: { show: false },
      },
    ],
  };
}

/**
 * At least the last 10 minutes, zeros before the batch began: a young batch's one or two minutes would otherwise
 * be spread by uPlot over a scale of years.
 */
function paddedMinutes({ t, count }: BatchInsight['completionsPerMinute']): uPlot.AlignedData {
  const minutes = t.map((ms) => ms / 1000);
  const counts = [...count];
  const last = minutes.length > 0 ? minutes[minutes.length - 1] : Math.floor(Date.now() / 60_000) * 60;
  while (minutes.length < 10) {
    minutes.unshift((minutes[0] ?? last + 60) - 60);
    counts.unshift(0);
  }
  return [minutes, counts];
}

export default function InsightCharts({ insight }: { insight: BatchInsight }) {
  const dark = useDark();
  const present = STACK_ORDER.filter((s) => insight.series.counts[s]?.some((n) => n > 0));
  const shape = `${present.join(',')}|${dark ? 'dark' : 'light'}`;
  const summaries = chartSummaries(insight);
  // Cumulative sums from the bottom of the stack, then listed top first (the series order).
  const stacked: number[][] = [];
  let sum = new Array<number>(insight.series.t.length).fill(0);
  for (const s of present) {
    const column = insight.series.counts[s] ?? [];
    sum = sum.map((v, i) => v + (column[i] ?? 0));
    stacked.push(sum);
  }
  const statesData: uPlot.AlignedData = [insight.series.t.map((t) => t / 1000), ...stacked.reverse()];
  const rateData = paddedMinutes(insight.completionsPerMinute);

  return (
    <div className="grid gap-4 @3xl:grid-cols-2">
      <figure className="flex min-w-0 flex-col gap-2 rounded-lg border border-slate-200 p-3 dark:border-slate-800">
        <figcaption className="text-sm font-medium">Jobs by state over time</figcaption>
        <UPlotChart options={statesOptions(present, dark)} optionsKey={shape} data={statesData} dataKey={chartDataKey(statesData)} label="Chart: jobs by state over time" />
        <p className="text-xs text-slate-600 dark:text-slate-400">{summaries.states}</p>
      </figure>
      <figure className="flex min-w-0 flex-col gap-2 rounded-lg border border-slate-200 p-3 dark:border-slate-800">
        <figcaption className="text-sm font-medium">
          Completions per minute{' '}
          <span className="font-normal text-slate-500 dark:text-slate-400">· now {insight.currentRatePerMinute.toFixed(1)}/min</span>
        </figcaption>
        <UPlotChart options={rateOptions(dark)} optionsKey={String(dark)} data={rateData} dataKey={chartDataKey(rateData)} label="Chart: completions per minute" />
        <p className="text-xs text-slate-600 dark:text-slate-400">{summaries.rate}</p>
      </figure>
    </div>
  );
}
