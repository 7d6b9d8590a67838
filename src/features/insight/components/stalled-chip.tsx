import type { BatchInsight } from '../../../../contract/insight-api.ts';
import { chipClass } from '../../../components/ui/chip.ts';
import { stallRuleText } from '../insight-format.ts';

export interface StalledChipProps {
  /** The batch's `stalled` jobs and the rule's numbers (insight); the chip is hidden until they are known. */
  insight: Pick<BatchInsight, 'stalled' | 'rules'> | undefined;
  active: boolean;
  onChange: (active: boolean) => void;
}

/** A filter chip "Stalled? (2)": only the jobs the server judges stalled; the rule is its description. */
export function StalledChip({ insight, active, onChange }: StalledChipProps) {
  const count = insight?.stalled.length ?? 0;
  if (!insight || (count === 0 && !active)) return null;
  const rule = stallRuleText(insight.rules);
  return (
    <button type="button" aria-pressed={active} className={chipClass(active)} title={rule} onClick={() => onChange(!active)}>
      Stalled? ({count})<span className="sr-only">. {rule}</span>
    </button>
  );
}
