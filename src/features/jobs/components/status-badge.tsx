import type { ViewState } from '../../../../contract/dashboard-api.ts';
import { STATE_STYLES } from '../../../lib/status-style.ts';

/**
 * A job's state as icon and word. Still: a pulsing Running icon in every visible row made the browser draw a
 * new frame 60 times a second for as long as the batch ran (a third of a live tab's CPU in `bench:ui-live`);
 * the progress bar beside it already shows that the job moves.
 */
export function StatusBadge({ state }: { state: ViewState }) {
  const style = STATE_STYLES[state];
  return (
    <span
      title={style.description}
      className={`inline-flex items-center gap-1 rounded px-1.5 py-0.5 text-xs font-medium ring-1 ring-inset ${style.badge}`}
    >
      <span aria-hidden="true">{style.icon}</span>
      {style.label}
    </span>
  );
}
