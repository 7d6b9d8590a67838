import { useState } from 'react';
import { focusRing } from '../../../components/ui/button.tsx';

export function CopyIdButton({ id, name }: { id: string; name: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      aria-label={`Copy id of ${name}`}
      title={copied ? 'Copied' : `Copy ${id}`}
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(id);
          setCopied(true);
          setTimeout(() => setCopied(false), 1500);
        } catch {
          setCopied(false);
        }
      }}
      className={`rounded px-1 text-xs text-slate-500 hover:bg-slate-100 hover:text-slate-900 dark:text-slate-400 dark:hover:bg-slate-800 dark:hover:text-white ${focusRing}`}
    >
      <span aria-hidden="true">{copied ? '✓' : '⧉'}</span>
      <span className="sr-only" aria-live="polite">{copied ? 'Copied' : ''}</span>
    </button>
  );
}
