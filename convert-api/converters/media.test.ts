// @vitest-environment node
import { execFile, execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { progressPercent } from './ffmpeg.ts';
import { listDir, removeTempDirs, runConverter, sample, tempDir } from './test-utils.ts';

const run = promisify(execFile);
let dir: string;

async function ffprobe(file: string) {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file]);
  const info = JSON.parse(stdout) as { format: { format_name: string; duration: string }; streams: { codec_type: string; codec_name: string }[] };
  return {
    format: info.format.format_name,
    duration: Number(info.format.duration),
    codecs: info.streams.map((s) => `${s.codec_type}:${s.codec_name}`).sort(),
  };
}

/** Is a process with this pid still alive (and not a zombie)? */
function alive(pid: number): boolean {
  try {
    const stat = execFileSync('cat', [`/proc/${pid}/stat`], { encoding: 'utf8' });
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

beforeAll(async () => {
  dir = await tempDir();
});
afterAll(removeTempDirs);

describe('audio and video converters', () => {
  it('turns the sample clip into a VP9/Opus WebM of the same length, reporting progress', async () => {
    const out = await runConverter('video.mp4-to-webm', sample('clip.mp4'));
    const info = await ffprobe(out.files[0]);
    expect(info.format).toBe('matroska,webm');
    expect(info.codecs).toEqual(['audio:opus', 'video:vp9']);
    expect(info.duration).toBeGreaterThan(1.8);
    expect(info.duration).toBeLessThan(2.3);
    expect(out.progress.length).toBeGreaterThan(1);
    expect(Math.max(...out.progress)).toBeLessThanOrEqual(100);
  });

  it('makes an animated GIF and extracts MP3 audio from the clip', async () => {
    const gif = await runConverter('video.mp4-to-gif', sample('clip.mp4'));
    const mp3 = await runConverter('video.mp4-to-mp3', sample('clip.mp4'));
    expect((await ffprobe(gif.files[0])).codecs).toEqual(['video:gif']);
    const audio = await ffprobe(mp3.files[0]);
    expect(audio.codecs).toEqual(['audio:mp3']);
    expect(audio.duration).toBeGreaterThan(1.8);
  });

  it.each([
    ['ogg', 'ogg', 'audio:vorbis'],
    ['wav', 'wav', 'audio:pcm_s16le'],
    ['flac', 'flac', 'audio:flac'],
    ['m4a', 'mov,mp4,m4a,3gp,3g2,mj2', 'audio:aac'],
    ['opus', 'ogg', 'audio:opus'],
  ])('converts the sample MP3 to %s', async (target, format, codec) => {
    const out = await runConverter(`audio.mp3-to-${target}`, sample('tone.mp3'));
    const info = await ffprobe(out.files[0]);
    expect(info.format).toBe(format);
    expect(info.codecs).toEqual([codec]);
    expect(Math.abs(info.duration - 2)).toBeLessThan(0.2);
  });

  it('refuses an MP4 that holds a WAV, and garbage, as invalid input', async () => {
    const wav = path.join(dir, 'tone.wav');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=duration=0.5', wav]);
    const garbage = path.join(dir, 'garbage.mp3');
    await writeFile(garbage, 'definitely not audio'.repeat(100));
    const mismatch = await runConverter('video.mp4-to-webm', wav).catch((e: unknown) => e);
    expect(mismatch).toMatchObject({ code: 'convert.invalid_input' });
    expect((mismatch as Error).message).toMatch(/not MP4/);
    await expect(runConverter('audio.mp3-to-wav', garbage)).rejects.toMatchObject({ code: 'convert.invalid_input' });
  });

  it('refuses to extract audio from a video without sound', async () => {
    const silent = path.join(dir, 'silent.mkv');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=5:duration=1', '-c:v', 'mpeg4', silent]);
    await expect(runConverter('video.mkv-to-mp3', silent)).rejects.toMatchObject({ code: 'convert.invalid_input' });
  });

  it('reads ffmpeg -progress lines as a share of the duration', () => {
    expect(progressPercent('out_time_us=1000000', 4)).toBe(25);
    expect(progressPercent('out_time_ms=3000000', 4)).toBe(75);
    expect(progressPercent('out_time_us=9000000', 4)).toBe(99);
    expect(progressPercent('out_time_us=N/A', 4)).toBeNull();
    expect(progressPercent('frame=12', 4)).toBeNull();
    expect(progressPercent('out_time_us=1000000', null)).toBeNull();
  });

  it('kills ffmpeg promptly when a long conversion is aborted mid-way, and leaves no output', async () => {
    // 10 minutes of small video: far longer than the test waits, quick to generate as MPEG-4 Part 2.
    const long = path.join(dir, 'long.mkv');
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10:duration=600', '-c:v', 'mpeg4', '-q:v', '20', long]);
    const controller = new AbortController();
    const before = new Set(childPids());
    let ffmpegPid: number | undefined;
    const outputDir = await tempDir('conv-out-');
    const started = runConverter('video.mkv-to-mp4', long, {}, {
      signal: controller.signal,
      outputDir,
      onProgress: (p) => {
        if (p > 0 && !controller.signal.aborted) {
          ffmpegPid = childPids().find((pid) => !before.has(pid));
          controller.abort();
        }
      },
    });
    const outcome = await started.then(() => 'resolved', (e: unknown) => e);
    expect(outcome).not.toBe('resolved');
    expect((outcome as Error).name).toBe('AbortError');
    expect(ffmpegPid).toBeDefined();
    // 'close' has fired, so the child has exited and been reaped: no waiting needed.
    expect(alive(ffmpegPid!)).toBe(false);
    expect(await listDir(outputDir)).toEqual([]);
  });
});

/** The ffmpeg children of this process, newest last. */
function childPids(): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(process.pid), 'ffmpeg'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}
