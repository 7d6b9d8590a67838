import { useId, useMemo, useRef, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { ErrorCode } from '../../../../contract/errors.ts';
import { Button } from '../../../components/ui/button.tsx';
import { Dialog } from '../../../components/ui/dialog.tsx';
import { inputClasses, labelClasses } from '../../../components/ui/field.tsx';
import { ApiError } from '../../../lib/api-client.ts';
import { errorSentence } from '../../../lib/error-messages.ts';
import { formatBytes } from '../../../lib/format.ts';
import { sourceFormatOf } from '../../../../contract/file-format.ts';
import { targetsFor, useConversions } from '../api/get-conversions.ts';
import { batchKeys } from '../api/query-keys.ts';
import { submitFile } from '../api/submit-file.ts';

type UploadState = 'waiting' | 'uploading' | 'queue_full' | 'accepted' | 'failed' | 'stopped';

interface UploadItem {
  file: File;
  state: UploadState;
  message: string | null;
}

const STATE_TEXT: Record<UploadState, string> = {
  waiting: 'Waiting',
  uploading: 'Uploading…',
  queue_full: 'Queue full, waiting',
  accepted: '✓ Submitted',
  failed: '✕ Failed',
  stopped: 'Not sent',
};

const DEFAULT_RETRY_AFTER_S = 5;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export function UploadFilesDialog({ batchId, open, onClose }: { batchId: string; open: boolean; onClose: () => void }) {
  const [busy, setBusy] = useState(false);
  return (
    <Dialog
      open={open}
      onClose={() => {
        if (!busy) onClose();
      }}
      title="Upload files"
      description="Each file is sent to the Convert API one after another and tracked in this batch."
      width="max-w-xl"
    >
      <UploadForm batchId={batchId} onClose={onClose} onBusyChange={setBusy} />
    </Dialog>
  );
}

function UploadForm({ batchId, onClose, onBusyChange }: { batchId: string; onClose: () => void; onBusyChange: (busy: boolean) => void }) {
  const queryClient = useQueryClient();
  const conversions = useConversions();
  const [files, setFiles] = useState<File[]>([]);
  const [target, setTarget] = useState('');
  const [items, setItems] = useState<UploadItem[] | null>(null);
  const [running, setRunning] = useState(false);
  const stop = useRef<AbortController | null>(null);
  const filesId = useId();
  const targetId = useId();

  const sources = useMemo(() => files.map((f) => sourceFormatOf(f.name)), [files]);
  const targets = useMemo(
    () => (conversions.data && files.length ? targetsFor(conversions.data, sources) : []),
    [conversions.data, files.length, sources],
  );
  // The conversions list has an unknown shape (or failed): let the operator type the target.
  const freeText = !conversions.isPending && !conversions.data;
  const chosenTarget = freeText ? target.trim() : targets.includes(target) ? target : (targets[0] ?? '');

  function update(index: number, patch: Partial<UploadItem>) {
    setItems((current) => current && current.map((item, i) => (i === index ? { ...item, ...patch } : item)));
  }

  async function upload() {
    const controller = new AbortController();
    stop.current = controller;
    const list: UploadItem[] = files.map((file) => ({ file, state: 'waiting', message: null }));
    setItems(list);
    setRunning(true);
    onBusyChange(true);
    for (let i = 0; i < list.length; i++) {
      if (controller.signal.aborted) {
        update(i, { state: 'stopped' });
        continue;
      }
      for (;;) {
        update(i, { state: 'uploading', message: null });
        try {
          await submitFile(batchId, list[i].file, chosenTarget);
          update(i, { state: 'accepted' });
          void queryClient.invalidateQueries({ queryKey: batchKeys.detail(batchId) });
          break;
        } catch (error) {
          // A queue-full 429 means the file was not accepted: waiting and sending it again is safe.
          if (error instanceof ApiError && error.status === 429 && error.code === ErrorCode.queueLimitExceeded && !controller.signal.aborted) {
            const seconds = error.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_S;
            update(i, { state: 'queue_full', message: `The account's queue is full; sending again in ${seconds} s.` });
            await sleep(seconds * 1000, controller.signal);
            if (controller.signal.aborted) {
              update(i, { state: 'stopped', message: null });
              break;
            }
            continue;
          }
          update(i, { state: 'failed', message: errorSentence(error) });
          break;
        }
      }
    }
    setRunning(false);
    onBusyChange(false);
    void queryClient.invalidateQueries({ queryKey: batchKeys.lists() });
  }

  return (
    <div className="flex flex-col gap-3">
      {!items && (
        <>
          <div>
            <label htmlFor={filesId} className={labelClasses}>
              Files to convert
            </label>
            <input
              id={filesId}
              type="file"
              multiple
              onChange={(event) => setFiles(Array.from(event.target.files ?? []))}
              className="mt-1 block w-full text-sm text-slate-600 file:mr-3 file:rounded-md file:border-0 file:bg-slate-100 file:px-3 file:py-1.5 file:text-sm file:font-medium dark:text-slate-400 dark:file:bg-slate-800 dark:file:text-slate-200"
            />
          </div>
          <div>
            <label htmlFor={targetId} className={labelClasses}>
              Target format
            </label>
            {freeText ? (
              <input id={targetId} value={target} onChange={(e) => setTarget(e.target.value)} placeholder="e.g. jpg" className={`${inputClasses} mt-1`} />
            ) : (
              <select
                id={targetId}
                value={chosenTarget}
                onChange={(e) => setTarget(e.target.value)}
                disabled={targets.length === 0}
                className={`${inputClasses} mt-1`}
              >
                {targets.length === 0 && <option value="">{files.length ? 'No common target format' : 'Choose files first'}</option>}
                {targets.map((t) => (
                  <option key={t} value={t}>
                    {t}
                  </option>
                ))}
              </select>
            )}
            {freeText && (
              <p className="mt-1 text-xs text-slate-500 dark:text-slate-400">The list of conversions is not available from this upstream; type the target format.</p>
            )}
            {!freeText && files.length > 0 && targets.length === 0 && (
              <p className="mt-1 text-xs text-amber-700 dark:text-amber-400">
                No target format is offered for {[...new Set(sources.map((s) => s ?? 'files without extension'))].join(', ')}
                {new Set(sources).size > 1 ? ' together; upload different types separately.' : '.'}
              </p>
            )}
          </div>
        </>
      )}
      {items && (
        <ul aria-label="Uploads" className="max-h-72 divide-y divide-slate-100 overflow-auto rounded-md border border-slate-200 text-sm dark:divide-slate-800 dark:border-slate-700">
          {items.map((item, i) => (
            <li key={`${item.file.name}-${i}`} aria-label={item.file.name} className="flex flex-col gap-0.5 px-3 py-1.5">
              <div className="flex items-center justify-between gap-2">
                <span className="truncate font-medium">{item.file.name}</span>
                <span className="shrink-0 text-xs text-slate-500 dark:text-slate-400">{formatBytes(item.file.size)}</span>
                <span
                  className={`shrink-0 text-xs font-medium ${item.state === 'failed' ? 'text-red-700 dark:text-red-400' : item.state === 'accepted' ? 'text-emerald-700 dark:text-emerald-400' : 'text-slate-600 dark:text-slate-400'}`}
                >
                  {STATE_TEXT[item.state]}
                </span>
              </div>
              {item.message && <p className="text-xs text-slate-600 dark:text-slate-400">{item.message}</p>}
            </li>
          ))}
        </ul>
      )}
      <div className="flex justify-end gap-2">
        {running ? (
          <Button onClick={() => stop.current?.abort()}>Stop after this file</Button>
        ) : (
          <Button onClick={onClose}>{items ? 'Close' : 'Cancel'}</Button>
        )}
        {!items && (
          <Button variant="primary" disabled={files.length === 0 || !chosenTarget} onClick={() => void upload()}>
            {files.length > 1 ? `Upload ${files.length} files` : 'Upload file'}
          </Button>
        )}
      </div>
    </div>
  );
}
