import { useRef, useState, type MouseEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { buttonClasses } from '../../../components/ui/button.tsx';
import { convertPaths } from '../../../config/paths.ts';
import { ERROR_MESSAGES, errorSentence } from '../../../lib/error-messages.ts';
import { ErrorCode } from '../../../../contract/errors.ts';
import { batchKeys, jobKeys } from '../../../lib/api/query-keys.ts';
import { getJob } from '../api/get-job.ts';
import { expiredSentence } from '../expiry.ts';

export interface DownloadLinkProps {
  jobId: string;
  /** The saved name: always `output.fileName`, never derived from the target format. */
  fileName: string;
  /** Accessible name, e.g. "Download photo.jpg". */
  label: string;
  /** When the output counts as deleted (the countdown's target), in local ms, to say how long ago it expired. */
  expiresAtLocalMs?: number | null;
  /** Explains why the download cannot happen (expired, not ready, error). */
  onProblem: (message: string) => void;
  size?: 'sm' | 'md';
  /** This server keeps a copy: no check with the upstream first (its answer may be a 410; the copy is served). */
  kept?: boolean;
}

/**
 * A plain same-origin link, so the browser streams the file to disk. Before letting the click through, the
 * status is checked once: an expired or missing output is explained here instead of a raw 410/409 page.
 */
export function DownloadLink({ jobId, fileName, label, expiresAtLocalMs, onProblem, size = 'sm', kept = false }: DownloadLinkProps) {
  const queryClient = useQueryClient();
  const anchor = useRef<HTMLAnchorElement>(null);
  const allowNext = useRef(false);
  const [checking, setChecking] = useState(false);

  async function onClick(event: MouseEvent<HTMLAnchorElement>) {
    if (allowNext.current || kept) {
      allowNext.current = false;
      return;
    }
    event.preventDefault();
    if (checking) return;
    setChecking(true);
    try {
      const status = await getJob(jobId);
      queryClient.setQueryData(jobKeys.detail(jobId), status);
      if (status.output) {
        allowNext.current = true;
        anchor.current?.click();
        return;
      }
      if (status.status === 'Succeeded') {
        onProblem(expiredSentence(expiresAtLocalMs, Date.now()));
        void queryClient.invalidateQueries({ queryKey: batchKeys.details() });
      } else {
        onProblem(`${ERROR_MESSAGES[ErrorCode.jobsNotReady].message} ${ERROR_MESSAGES[ErrorCode.jobsNotReady].next}`);
      }
    } catch (error) {
      onProblem(errorSentence(error));
    } finally {
      setChecking(false);
    }
  }

  return (
    <a
      ref={anchor}
      href={convertPaths.download(jobId)}
      download={fileName}
      aria-label={label}
      aria-busy={checking || undefined}
      onClick={onClick}
      className={buttonClasses('secondary', size)}
    >
      <span aria-hidden="true">↓</span>
      {checking ? 'Checking…' : 'Download'}
    </a>
  );
}
