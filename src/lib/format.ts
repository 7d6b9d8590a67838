const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

/** "2:05", "1:02:03" for a countdown; never negative. */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** "3 s", "4 min", "2 h" — a coarse duration for prose. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} h`;
  return `${Math.round(h / 24)} d`;
}

/** Seconds with a decimal under 10 s (images convert in 1–2 s), else the coarse duration: observed wait and run times. */
export function preciseDuration(ms: number): string {
  if (ms < 10_000) return `${(Math.round(ms / 100) / 10).toLocaleString()} s`;
  return formatDuration(ms);
}

const pluralRules = new Intl.PluralRules('en');
/** One formatter: `toLocaleString()` builds a new one on each call, and rows and counts call this every second. */
const countFormat = new Intl.NumberFormat();

/** "1 credit", "3 credits", "1,204 jobs": every count label goes through here so it agrees with its number. */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${countFormat.format(count)} ${pluralRules.select(count) === 'one' ? one : many}`;
}

/**
 * How long ago something happened, honestly: "just now" for the first seconds, then whole seconds, minutes,
 * hours, rounded down, so a few seconds are never reported as a minute.
 */
export function formatAgo(ms: number): string {
  const seconds = Math.floor(Math.max(0, ms) / 1000);
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${plural(seconds, 'second')} ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${plural(minutes, 'minute')} ago`;
  return `${plural(Math.floor(minutes / 60), 'hour')} ago`;
}

// Seconds matter: outputs live one hour, and the observed timeline is read to the second.
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const time = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : dateTime.format(d);
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : time.format(d);
}

/** The last 8 characters: GUIDv7 ids start with a timestamp, so ids of one batch share their first ones. */
export function shortId(id: string): string {
  return `…${id.slice(-8)}`;
}

