/** The text alternative beside each chart: what a sighted operator reads off it, in sentences. */
import { TRACKED_STATES } from '../../../contract/dashboard-api.ts';
import type { BatchInsight } from '../../../contract/insight-api.ts';
import { formatDuration } from '../../lib/format.ts';
import { STATE_STYLES } from '../../lib/status-style.ts';

const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

export function chartSummaries(insight: BatchInsight): { states: string; rate: string } {
  const { t, counts } = insight.series;
  let states: string;
  if (t.length === 0) {
    states = 'No history yet.';
  } else {
    const last = t.length - 1;
    const now = TRACKED_STATES.filter((s) => (counts[s]?.[last] ?? 0) > 0)
      .map((s) => `${counts[s]![last].toLocaleString()} ${STATE_STYLES[s].label.toLowerCase()}`)
      .join(', ');
    const peakRunning = Math.max(0, ...(counts.Running ?? [0]));
    states = `Over ${formatDuration(t[last] - t[0])}: now ${now || 'no jobs'}. At most ${peakRunning.toLocaleString()} running at once.`;
  }
  const { t: minutes, count } = insight.completionsPerMinute;
  let rate: string;
  if (minutes.length === 0) {
    rate = 'No job has finished yet.';
  } else {
    let busiest = 0;
    for (let i = 1; i < count.length; i++) if (count[i] > count[busiest]) busiest = i;
    const total = count.reduce((a, b) => a + b, 0);
    rate =
      `${total.toLocaleString()} finished over the last ${minutes.length} min; now ${insight.currentRatePerMinute.toFixed(1)} per minute` +
      (count[busiest] > 0 ? `; busiest minute ${clock.format(new Date(minutes[busiest]))} with ${count[busiest]}.` : '.');
  }
  return { states, rate };
}
