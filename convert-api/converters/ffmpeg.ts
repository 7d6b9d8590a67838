import { stat } from 'node:fs/promises';
import os from 'node:os';
import { lastLine, runProcess } from './child-process.ts';
import { invalidInput, label } from './sniff.ts';
import { ConversionError, type ConvertContext } from './types.ts';

export interface ProbeStream {
  codec_type?: string;
  codec_name?: string;
  disposition?: { attached_pic?: number };
}

export interface Probe {
  formatName: string;
  /** Seconds, or null when the container does not say. */
  duration: number | null;
  streams: ProbeStream[];
}

/** ffmpeg's demuxer names (`format_name`) that count as each extension. */
const DEMUXERS: Record<string, string[]> = {
  mp3: ['mp3'],
  wav: ['wav'],
  ogg: ['ogg'],
  opus: ['ogg'],
  flac: ['flac'],
  m4a: ['mov,mp4,m4a,3gp,3g2,mj2'],
  mp4: ['mov,mp4,m4a,3gp,3g2,mj2'],
  mov: ['mov,mp4,m4a,3gp,3g2,mj2'],
  webm: ['matroska,webm'],
  mkv: ['matroska,webm'],
};

/** Reads container and streams with ffprobe; content that ffprobe cannot read, or of another format, is invalid input. */
export async function probe(ffprobe: string, inputPath: string, format: string, signal: AbortSignal): Promise<Probe> {
  const { code, stdout } = await runProcess(
    ffprobe,
    ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', inputPath],
    { signal, timeoutMs: 30_000, maxStdoutBytes: 16 * 1024 * 1024 },
  );
  let parsed: { format?: { format_name?: string; duration?: string }; streams?: ProbeStream[] } = {};
  try {
    parsed = JSON.parse(stdout.toString('utf8')) as typeof parsed;
  } catch {
    // treated as unreadable below
  }
  const formatName = parsed.format?.format_name;
  if (code !== 0 || !formatName) throw invalidInput(`The file is not a readable ${label(format)} file.`);
  if (!(DEMUXERS[format] ?? []).includes(formatName)) {
    throw invalidInput(`The file is not ${label(format)}: its content reads as ${formatName}.`);
  }
  const duration = Number(parsed.format?.duration);
  return { formatName, duration: Number.isFinite(duration) && duration > 0 ? duration : null, streams: parsed.streams ?? [] };
}

export function hasAudio(p: Probe): boolean {
  return p.streams.some((s) => s.codec_type === 'audio');
}

export function hasVideo(p: Probe): boolean {
  return p.streams.some((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
}

/**
 * Turns one `-progress` line into a percent of `duration` (seconds), or null when the line carries no time.
 * ffmpeg writes `out_time_us=` (and the misnamed `out_time_ms=`, also microseconds); either may be `N/A`.
 */
export function progressPercent(line: string, duration: number | null): number | null {
  const match = /^out_time_(?:us|ms)=(\d+)$/.exec(line.trim());
  if (!match || !duration) return null;
  const seconds = Number(match[1]) / 1_000_000;
  return Math.max(0, Math.min(99, (seconds / duration) * 100));
}

/**
 * Decoder and encoder threads. ffmpeg's default follows the core count, and memory follows the threads (x264 at 1080p
 * with 64 threads: 2.4 GB resident), so on a machine with many cores one job would need more than its memory limit
 * (limits.ts); the workers share the cores anyway.
 */
export const FFMPEG_THREADS = Math.min(8, os.availableParallelism());

/**
 * Runs ffmpeg with the job's input and output, reporting progress from `-progress pipe:1`.
 * `args` are the output options between input and output path.
 */
export async function runFfmpeg(
  ffmpeg: string,
  ctx: ConvertContext,
  args: string[],
  outputPath: string,
  duration: number | null,
): Promise<void> {
  ctx.onProgress(0, 'converting');
  const threads = String(FFMPEG_THREADS);
  const { code, stderr } = await runProcess(
    ffmpeg,
    ['-nostdin', '-hide_banner', '-v', 'error', '-y', '-progress', 'pipe:1', '-nostats', '-threads', threads, '-i', ctx.inputPath, ...args,
      '-threads', threads, outputPath],
    {
      signal: ctx.signal,
      onStdoutLine: (line) => {
        const percent = progressPercent(line, duration);
        if (percent !== null) ctx.onProgress(percent, 'converting');
      },
    },
  );
  if (code !== 0) throw new ConversionError('convert.failed', `ffmpeg could not convert the file (${lastLine(stderr)}).`);
  const size = await stat(outputPath).then((s) => s.size, () => 0);
  if (size === 0) throw new ConversionError('convert.failed', 'ffmpeg produced an empty file.');
}
