import { useState } from 'react';
import { Button } from '../../../components/ui/button.tsx';
import { plural } from '../../../lib/format.ts';

/** Copies job ids, one per line (what "Add job ids" and most scripts read). */
export function CopyIdsButton({ ids, label = 'Copy ids' }: { ids: readonly string[]; label?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  return (
    <>
      <Button
        size="sm"
        disabled={ids.length === 0}
        onClick={async () => {
          try {
            await navigator.clipboard.writeText(ids.join('\n'));
            setState('copied');
          } catch {
            setState('failed');
          }
        }}
      >
        {label}
      </Button>
      <span role="status" className="text-xs text-slate-600 dark:text-slate-400">
        {state === 'copied' ? `${plural(ids.length, 'id')} copied.` : state === 'failed' ? 'The browser refused the clipboard; select the ids from the export instead.' : ''}
      </span>
    </>
  );
}
