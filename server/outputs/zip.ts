/**
 * "Download all": a batch's outputs as one ZIP, written while it is sent. Entries are added one at a time, each
 * as its source is opened (a kept copy from disk, else the upstream's download), so memory holds one entry's
 * stream buffers, never the archive, and the first bytes leave as soon as the first source answers. Outputs are
 * stored, not deflated: they are mostly compressed formats already (jpg, mp4, zip), and deflating would cost
 * the CPU the tracker needs for little gain.
 *
 * A job without an output is not a failed download: it is a row of `manifest.csv` saying why (expired before it
 * was kept, failed, canceled, not finished …). Only a source that breaks mid-entry cuts the response, because
 * a half-written entry cannot be taken back; the browser then reports the download as failed.
 */
import { createRequire } from 'node:module';
import { Transform, type Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { crc32 } from 'node:zlib';
import yazl from 'yazl';
import { OUTPUTS_MANIFEST_COLUMNS, type BatchJob } from '../../contract/dashboard-api.ts';
import { viewState } from '../../contract/outputs.ts';
import type { UpstreamClient } from '../upstream.ts';
import type { Keeper } from './keeper.ts';

export interface ZipSources {
  keeper: Pick<Keeper, 'openKept'>;
  upstream: UpstreamClient;
  /** The upstream said 410: the output is gone (recorded like a 410 through the proxy). */
  onExpired(jobId: string): void;
}

export interface ZipResult {
  /** Jobs whose output went into the archive. */
  written: string[];
}

/**
 * yazl checksums every byte with buffer-crc32, a table lookup in JavaScript: about 0.35 GB/s on this machine,
 * which made a ZIP of outputs streamed from the upstream half as fast as downloading them one by one
 * (bench:outputs). Node's zlib.crc32 is the same checksum in native code (over 2 GB/s here), so the function
 * yazl calls is swapped for it on the very module object yazl required. Same arguments, same unsigned result;
 * a `previous` given as a Buffer (which yazl never passes) still goes to the original.
 */
function useNativeCrc32(): void {
  const requireFromYazl = createRequire(createRequire(import.meta.url).resolve('yazl'));
  const bufferCrc32 = requireFromYazl('buffer-crc32') as { unsigned: (data: Buffer | string, previous?: number | Buffer) => number };
  const original = bufferCrc32.unsigned;
  bufferCrc32.unsigned = (data, previous) => (Buffer.isBuffer(previous) ? original(data, previous) : crc32(data, previous ?? 0));
}
useNativeCrc32();

/** Why a job of this state has no output in the archive. */
const NOT_AN_OUTPUT: Record<string, string> = {
  Queued: 'not finished yet (queued)',
  Running: 'not finished yet (running)',
  Unknown: 'not checked with the Convert API yet',
  Canceled: 'canceled',
  Gone: 'not found at the Convert API (deleted, or never existed for this key)',
  Forbidden: 'belongs to another account',
};
const EXPIRED = 'expired: deleted by the Convert API before it was kept';

/** Names made safe for every unzip tool and unique, case-insensitively: `photo.jpg`, `photo (2).jpg`. */
export function uniqueNamer(reserved: readonly string[] = []) {
  const used = new Set(reserved.map((n) => n.toLowerCase()));
  return (raw: string, fallback: string): string => {
    // eslint-disable-next-line no-control-regex -- control characters are what is being removed
    let name = raw.replace(/[\u0000-\u001f\u007f/\\:*?"<>|]/g, '_').replace(/^[.\s]+/, '').trim();
    if (!name) name = fallback;
    const dot = name.lastIndexOf('.');
    const stem = dot > 0 ? name.slice(0, dot) : name;
    const ext = dot > 0 ? name.slice(dot) : '';
    let candidate = name;
    for (let n = 2; used.has(candidate.toLowerCase()); n++) candidate = `${stem} (${n})${ext}`;
    used.add(candidate.toLowerCase());
    return candidate;
  };
}

/** One CSV field; a leading = + - @ is defused so a spreadsheet does not run it as a formula. */
function csvField(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The kept copy's name (the status stops naming the output once the upstream deleted it), else the status's. */
function outputName(job: BatchJob): string {
  return job.kept?.fileName ?? job.last?.output?.fileName ?? `${job.id}${job.targetFormat ? `.${job.targetFormat}` : ''}`;
}

/**
 * Writes the archive of `jobs` (in order) into `zip`'s output stream, which the caller is already sending.
 * `signal` aborts when the browser goes away.
 */
export async function writeOutputsZip(
  zip: yazl.ZipFile,
  jobs: readonly BatchJob[],
  sources: ZipSources,
  serverNow: number,
  signal: AbortSignal,
): Promise<ZipResult> {
  const name = uniqueNamer(['manifest.csv']);
  let manifest = OUTPUTS_MANIFEST_COLUMNS.join(',') + '\r\n';
  const written: string[] = [];
  const row = (job: BatchJob, entry: string | null, size: number | null, missing: string | null) => {
    const fields = [job.id, job.fileName, job.targetFormat, viewState(job, serverNow), entry, size, missing];
    manifest += fields.map(csvField).join(',') + '\r\n';
  };

  for (const job of jobs) {
    if (signal.aborted) throw signal.reason;
    if (job.state === 'Failed') {
      row(job, null, null, `failed${job.last?.error ? `: ${job.last.error.code}` : ''}`);
      continue;
    }
    if (job.state !== 'Succeeded') {
      row(job, null, null, NOT_AN_OUTPUT[job.state] ?? job.state);
      continue;
    }
    let source: Readable | null = null;
    let missing: string | null = null;
    const kept = job.kept ? await sources.keeper.openKept(job.id) : null;
    if (kept) source = kept.stream;
    else if (job.outputExpired) missing = EXPIRED;
    else {
      try {
        const res = await sources.upstream.request({ method: 'GET', path: `/convert/job/${job.id}/download`, signal });
        if (res.statusCode === 200) source = res.body;
        else {
          await res.body.dump().catch(() => {});
          if (res.statusCode === 410) {
            sources.onExpired(job.id);
            missing = EXPIRED;
          } else missing = `the Convert API answered ${res.statusCode}`;
        }
      } catch (error) {
        if (signal.aborted) throw error;
        missing = 'the Convert API could not be reached';
      }
    }
    if (!source) {
      row(job, null, null, missing);
      continue;
    }
    const entry = name(outputName(job), job.id);
    let bytes = 0;
    const counted = source.pipe(
      new Transform({
        transform(chunk: Buffer, _encoding, done) {
          bytes += chunk.length;
          done(null, chunk);
        },
      }),
    );
    source.once('error', (error) => counted.destroy(error));
    zip.addReadStream(counted, entry, { compress: false, mtime: new Date(serverNow) });
    // The next source is opened only once this one is read to the end: one upstream download at a time.
    await finished(counted, { signal });
    written.push(job.id);
    row(job, entry, bytes, null);
  }
  zip.addBuffer(Buffer.from(manifest, 'utf8'), 'manifest.csv', { mtime: new Date(serverNow) });
  zip.end();
  return { written };
}
