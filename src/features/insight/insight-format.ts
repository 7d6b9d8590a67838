/** Sentences of the insight panel: the ETA without fake precision, timings, stall thresholds. */
import type { BatchInsight, Eta, TimingStats } from '../../../contract/insight-api.ts';
import { formatDuration, preciseDuration } from '../../lib/format.ts';

const clockTime = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

/**
 * A duration rounded to what the evidence can carry: whole minutes under a quarter of an hour, then 5 minutes,
 * then quarter hours; a few seconds are "under a minute".
 */
export function roughDuration(ms: number): string {
  const minutes = ms / 60_000;
  if (minutes < 1) return 'under a minute';
  if (minutes < 15) return `${Math.round(minutes)} min`;
  if (minutes < 60) return `${Math.round(minutes / 5) * 5} min`;
  const hours = Math.round((minutes / 60) * 4) / 4;
  return `${hours} h`;
}

export interface EtaText {
  /** The headline: "Done in about 12 min (around 16:40)". */
  text: string;
  /** The uncertainty and what it rests on. */
  detail: string;
  tone: 'neutral' | 'warning' | 'done';
}

export function etaText(eta: Eta, now: number): EtaText {
  switch (eta.kind) {
    case 'done':
      return { text: 'All jobs have finished', detail: 'Nothing is left to wait for.', tone: 'done' };
    case 'unknown':
      return { text: 'ETA: not enough data yet', detail: eta.reason, tone: 'neutral' };
    case 'stalled':
      return { text: `Stalled: nothing finished for ${formatDuration(eta.sinceMs)}`, detail: eta.reason, tone: 'warning' };
    case 'estimate': {
      const at = clockTime.format(new Date(now + eta.remainingMs));
      const low = roughDuration(eta.lowMs);
      const high = roughDuration(eta.highMs);
      const range = low === high ? '' : ` Likely between ${low} and ${high} (90 %).`;
      return { text: `Done in about ${roughDuration(eta.remainingMs)} (around ${at})`, detail: `${eta.reason}${range}`, tone: 'neutral' };
    }
  }
}

/** "median 4 s · p95 12 s" or "not observed yet". */
export function timingText(stats: TimingStats): string {
  if (stats.medianMs === null || stats.p95Ms === null) return 'not observed yet';
  return `median ${preciseDuration(stats.medianMs)} · p95 ${preciseDuration(stats.p95Ms)}`;
}

/** The *Stalled?* rule in one sentence, with the server's numbers (server/history/rules.ts). */
export function stallRuleText(rules: BatchInsight['rules']): string {
  return (
    `A running job is marked Stalled? when its percent and phase have not changed for ${rules.stallFactor}× the median run time ` +
    `of finished jobs of the same conversion in this batch (at least ${formatDuration(rules.stallMinMs)}), or for ` +
    `${formatDuration(rules.stallDefaultMs)} while fewer than ${rules.stallMinSamples} of them have finished.`
  );
}
