import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import type { Conversion } from '../../../../contract/job.ts';
import { ErrorCode } from '../../../../contract/errors.ts';
import { Button } from '../../../components/ui/button.tsx';
import { inputClasses, labelClasses } from '../../../components/ui/field.tsx';
import { ApiError } from '../../../lib/api-client.ts';
import { errorSentence } from '../../../lib/error-messages.ts';
import { formatBytes, plural } from '../../../lib/format.ts';
import { useNow } from '../../../lib/ticker.ts';
import { announcer } from '../../../lib/announcer.ts';
import { sourceFormatOf } from '../../../../contract/file-format.ts';
import { targetsFor, useConversions } from '../api/get-conversions.ts';
import { batchKeys } from '../../../lib/api/query-keys.ts';
import { newUploadKey, uploadFile } from '../../../lib/api/submit-file.ts';

/** Uploads at once: enough to fill a link, few enough that each file's progress means something. */
const CONCURRENCY = 3;
/** Files listed one by one; the rest are counted. */
const LISTED = 40;

type ItemState = 'queued' | 'uploading' | 'received' | 'failed';

interface UploadItem {
  key: number;
  /** Sent with every attempt of this file: "Retry failed" after a lost answer does not add it twice. */
  uploadKey: string;
  file: File;
  target: string;
  options: string | null;
  state: ItemState;
  loaded: number;
  message: string | null;
}

interface Group {
  source: string | null;
  files: File[];
  targets: string[];
}

/** A drop (or a pick) waiting for its target formats. */
interface PendingDrop {
  groups: Group[];
}

function groupFiles(files: File[], conversions: Conversion[] | null | undefined): Group[] {
  const bySource = new Map<string | null, File[]>();
  for (const file of files) {
    const source = sourceFormatOf(file.name);
    bySource.set(source, [...(bySource.get(source) ?? []), file]);
  }
  return [...bySource.entries()]
    .map(([source, list]) => ({ source, files: list, targets: conversions ? targetsFor(conversions, [source]) : [] }))
    .sort((a, b) => b.files.length - a.files.length);
}

export interface Uploads {
  add(files: File[]): void;
  /** Files received by the server and still to be sent to it, for the tab title. */
  pending: number;
}

/**
 * The upload panel: not a modal, the page stays usable. A drop is grouped by source format; each group gets its
 * target (from `GET /convert/conversions`); files no conversion accepts are listed and skipped. Then the files
 * go up a few at a time, each with its byte progress, and the server answers as soon as it holds a file.
 */
export function useUploads(batchId: string) {
  const queryClient = useQueryClient();
  const conversions = useConversions();
  const [pending, setPending] = useState<PendingDrop | null>(null);
  const [items, setItems] = useState<UploadItem[]>([]);
  const [stopped, setStopped] = useState<string | null>(null);
  const [startedAt, setStartedAt] = useState<number | null>(null);
  const nextKey = useRef(0);
  const active = useRef(0);

  const add = useCallback(
    (files: File[]) => {
      if (files.length === 0) return;
      setPending((current) => {
        const all = [...(current?.groups.flatMap((g) => g.files) ?? []), ...files];
        return { groups: groupFiles(all, conversions.data) };
      });
    },
    [conversions.data],
  );

  const update = useCallback((key: number, patch: Partial<UploadItem>) => {
    setItems((current) => current.map((item) => (item.key === key ? { ...item, ...patch } : item)));
  }, []);

  // The pump: start uploads while there is room; runs after every change of the list.
  useEffect(() => {
    if (stopped) return;
    const waiting = items.filter((i) => i.state === 'queued');
    while (active.current < CONCURRENCY && waiting.length > 0) {
      const item = waiting.shift()!;
      active.current++;
      update(item.key, { state: 'uploading', loaded: 0 });
      uploadFile(batchId, item.file, item.target, {
        conversionOptions: item.options,
        uploadKey: item.uploadKey,
        onProgress: ({ loaded }) => update(item.key, { loaded }),
      })
        .then(() => {
          update(item.key, { state: 'received', loaded: item.file.size, message: null });
          void queryClient.invalidateQueries({ queryKey: batchKeys.detail(batchId) });
        })
        .catch((error: unknown) => {
          update(item.key, { state: 'failed', message: errorSentence(error) });
          // The server's spool is full: every next file would be refused the same way.
          if (error instanceof ApiError && error.code === ErrorCode.spoolFull) setStopped(errorSentence(error));
        })
        .finally(() => {
          active.current--;
          setItems((current) => [...current]);
        });
    }
  }, [items, stopped, batchId, update, queryClient]);

  function start(choices: Map<string | null, string>, options: string | null) {
    if (!pending) return;
    const added: UploadItem[] = [];
    for (const group of pending.groups) {
      const target = choices.get(group.source);
      if (!target) continue;
      for (const file of group.files) added.push({ key: nextKey.current++, uploadKey: newUploadKey(), file, target, options, state: 'queued', loaded: 0, message: null });
    }
    setPending(null);
    setStopped(null);
    setStartedAt((at) => at ?? Date.now());
    setItems((current) => [...current, ...added]);
  }

  function retryFailed() {
    setStopped(null);
    setItems((current) => current.map((i) => (i.state === 'failed' ? { ...i, state: 'queued', message: null, loaded: 0 } : i)));
  }

  function clear() {
    setItems((current) => current.filter((i) => i.state === 'queued' || i.state === 'uploading'));
    setStartedAt(null);
  }

  const waitingCount = items.filter((i) => i.state === 'queued' || i.state === 'uploading').length;
  return {
    add,
    pendingCount: waitingCount,
    panel: {
      pending,
      items,
      stopped,
      startedAt,
      conversions: conversions.data,
      conversionsLoading: conversions.isPending,
      start,
      retryFailed,
      clear,
      cancelPending: () => setPending(null),
    },
  };
}

export type UploadPanelState = ReturnType<typeof useUploads>['panel'];

export function UploadPanel({ state }: { state: UploadPanelState }) {
  if (!state.pending && state.items.length === 0) return null;
  return (
    <section aria-label="Uploads" className="flex flex-col gap-3 rounded-lg border border-slate-200 bg-white p-3 text-sm shadow-sm dark:border-slate-700 dark:bg-slate-900">
      {state.pending && <DropChoices state={state} />}
      {state.items.length > 0 && <Progress state={state} />}
    </section>
  );
}

function DropChoices({ state }: { state: UploadPanelState }) {
  const groups = state.pending!.groups;
  const [choices, setChoices] = useState<Map<string | null, string>>(new Map());
  const [options, setOptions] = useState('');
  const optionsId = useId();
  const freeText = !state.conversionsLoading && !state.conversions;
  const convertible = groups.filter((g) => freeText || g.targets.length > 0);
  const skipped = groups.filter((g) => !freeText && g.targets.length === 0);
  const chosen = new Map<string | null, string>();
  for (const g of convertible) {
    const pick = choices.get(g.source);
    const value = freeText ? (pick ?? '').trim() : pick && g.targets.includes(pick) ? pick : defaultTarget(g);
    if (value) chosen.set(g.source, value);
  }
  const count = convertible.reduce((n, g) => n + (chosen.has(g.source) ? g.files.length : 0), 0);
  const optionsError = options.trim() && !isJsonObject(options) ? 'Options must be a JSON object, e.g. {"quality": 80}.' : null;

  return (
    <div className="flex flex-col gap-2">
      <h2 className="font-semibold">Convert {plural(groups.reduce((n, g) => n + g.files.length, 0), 'file')} to…</h2>
      <ul className="flex flex-col gap-1.5">
        {convertible.map((g) => (
          <li key={g.source ?? ''} className="flex flex-wrap items-center gap-2">
            <span className="min-w-40">
              {plural(g.files.length, 'file')} <span className="text-slate-500">({g.source ?? 'no extension'})</span>
            </span>
            {freeText ? (
              <input
                aria-label={`Target format for ${g.source ?? 'files without extension'}`}
                placeholder="e.g. jpg"
                value={choices.get(g.source) ?? ''}
                onChange={(e) => setChoices(new Map(choices).set(g.source, e.target.value))}
                className={`${inputClasses} w-32`}
              />
            ) : (
              <select
                aria-label={`Target format for ${g.source ?? 'files without extension'}`}
                value={chosen.get(g.source) ?? ''}
                onChange={(e) => setChoices(new Map(choices).set(g.source, e.target.value))}
                className={`${inputClasses} w-32`}
              >
                {g.targets.map((t) => (
                  <option key={t} value={t}>
                    {t}
                  </option>
                ))}
              </select>
            )}
          </li>
        ))}
      </ul>
      {skipped.length > 0 && (
        <p className="text-xs text-amber-800 dark:text-amber-300">
          Skipped, the Convert API cannot convert them:{' '}
          {skipped.map((g) => `${plural(g.files.length, 'file')} (${g.source ?? 'no extension'}: ${g.files.slice(0, 3).map((f) => f.name).join(', ')}${g.files.length > 3 ? ', …' : ''})`).join('; ')}
          .
        </p>
      )}
      <div>
        <label htmlFor={optionsId} className={labelClasses}>
          Options (JSON, optional)
        </label>
        <input id={optionsId} value={options} onChange={(e) => setOptions(e.target.value)} placeholder='{"resize": {"enabled": true, "preset": "1080p"}}' className={`${inputClasses} mt-1`} />
        {optionsError && <p className="mt-1 text-xs text-red-700 dark:text-red-400">{optionsError}</p>}
      </div>
      <div className="flex justify-end gap-2">
        <Button onClick={state.cancelPending}>Cancel</Button>
        <Button variant="primary" disabled={count === 0 || optionsError !== null} onClick={() => state.start(chosen, options.trim() ? JSON.stringify(JSON.parse(options)) : null)}>
          {`Send ${plural(count, 'file')}`}
        </Button>
      </div>
    </div>
  );
}

function Progress({ state }: { state: UploadPanelState }) {
  const { items } = state;
  const total = items.length;
  const received = items.filter((i) => i.state === 'received').length;
  const failed = items.filter((i) => i.state === 'failed');
  const bytesTotal = items.reduce((n, i) => n + i.file.size, 0);
  const bytesDone = items.reduce((n, i) => n + (i.state === 'received' ? i.file.size : i.state === 'uploading' ? i.loaded : 0), 0);
  const busy = items.some((i) => i.state === 'queued' || i.state === 'uploading');
  const now = useNow();
  const elapsed = state.startedAt ? (now - state.startedAt) / 1000 : 0;
  const speed = elapsed > 0.5 ? bytesDone / elapsed : null;
  const listed = useMemo(
    () => items.filter((i) => i.state === 'uploading' || i.state === 'failed').slice(0, LISTED),
    [items],
  );
  const wasBusy = useRef(busy);
  useEffect(() => {
    if (wasBusy.current && !busy) {
      announcer.say(
        failed.length === 0
          ? `Upload finished: ${plural(received, 'file')} received by the dashboard server.`
          : `Upload finished: ${received} of ${plural(total, 'file')} received, ${failed.length.toLocaleString()} not received.`,
      );
    }
    wasBusy.current = busy;
  }, [busy, failed.length, received, total]);
  return (
    <div className="flex flex-col gap-2">
      <div className="flex flex-wrap items-baseline gap-x-3">
        {/* Not a live region: it changes with every chunk. The result is announced once (below). */}
        <p className="font-medium">
          {`${received} of ${total} files received, ${formatBytes(bytesDone)} of ${formatBytes(bytesTotal)}`}
        </p>
        {busy && speed !== null && <p className="text-xs text-slate-500">{formatBytes(speed)}/s</p>}
      </div>
      <progress aria-label="Upload progress" max={bytesTotal || 1} value={bytesDone} className="h-2 w-full" />
      {busy ? (
        <p className="text-xs text-slate-600 dark:text-slate-400">Keep this page open until every file is received; the page stays usable meanwhile.</p>
      ) : failed.length === 0 ? (
        <p className="text-xs font-medium text-emerald-800 dark:text-emerald-300">
          Every file is with the dashboard server: you may close this browser. The server sends them to the Convert API and tracks them.
        </p>
      ) : null}
      {state.stopped && <p className="text-xs text-red-700 dark:text-red-400">{state.stopped}</p>}
      {listed.length > 0 && (
        <ul aria-label="Files uploading" className="flex max-h-48 flex-col gap-1 overflow-auto">
          {listed.map((item) => (
            <li key={item.key} className="flex flex-col gap-0.5">
              <div className="flex items-center gap-2">
                <span className="min-w-0 flex-1 truncate">{item.file.name}</span>
                <span className="shrink-0 text-xs text-slate-500">{formatBytes(item.file.size)}</span>
                {item.state === 'uploading' ? (
                  <progress aria-label={`Upload of ${item.file.name}`} max={item.file.size || 1} value={item.loaded} className="h-1.5 w-32" />
                ) : (
                  <span className="text-xs font-medium text-red-700 dark:text-red-400">Not received</span>
                )}
              </div>
              {item.message && <p className="text-xs text-red-700 dark:text-red-400">{item.message}</p>}
            </li>
          ))}
        </ul>
      )}
      <div className="flex justify-end gap-2">
        {failed.length > 0 && <Button onClick={state.retryFailed}>{`Upload ${plural(failed.length, 'file')} again`}</Button>}
        {!busy && <Button onClick={state.clear}>Close</Button>}
      </div>
    </div>
  );
}

function defaultTarget(group: Group): string {
  const preferred = ['jpg', 'pdf', 'mp4', 'mp3', 'woff2', 'zip'];
  return preferred.find((t) => group.targets.includes(t)) ?? group.targets[0] ?? '';
}

function isJsonObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}
