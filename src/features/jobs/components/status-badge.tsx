import type { ViewState } from '../../../../contract/dashboard-api.ts';
import { STATE_STYLES } from '../../../lib/status-style.ts';

export function StatusBadge({ state }: { state: ViewState }) {
  const style = STATE_STYLES[state];
  return (
    <span
      title={style.description}
      className={`inline-flex items-center gap-1 rounded px-1.5 py-0.5 text-xs font-medium ring-1 ring-inset ${style.badge}`}
    >
      <span aria-hidden="true" className={state === 'Running' ? 'animate-pulse' : undefined}>
        {style.icon}
      </span>
      {style.label}
    </span>
  );
}
