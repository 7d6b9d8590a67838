import path from 'node:path';
import { hasAudio, hasVideo, probe, runFfmpeg } from './ffmpeg.ts';
import { invalidInput, label } from './sniff.ts';
import type { Tools } from './tools.ts';
import type { ConvertContext, Converter } from './types.ts';
import { pairConverter } from './pair.ts';

export const AUDIO_FORMATS = ['mp3', 'wav', 'ogg', 'flac', 'm4a', 'opus'] as const;
export const VIDEO_SOURCES = ['mp4', 'webm', 'mov', 'mkv'] as const;
export const VIDEO_TARGETS = ['mp4', 'webm', 'gif', 'mp3'] as const;

const MIME: Record<string, string> = {
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  ogg: 'audio/ogg',
  flac: 'audio/flac',
  m4a: 'audio/mp4',
  opus: 'audio/ogg',
  mp4: 'video/mp4',
  webm: 'video/webm',
  gif: 'image/gif',
};

/** A GIF of a long video would be enormous, so only its start is taken. */
export const GIF_MAX_SECONDS = 30;

/** Output options per target: fast presets, since a worker is shared with every other job. */
const AUDIO_ENCODERS: Record<string, string[]> = {
  mp3: ['-c:a', 'libmp3lame', '-q:a', '2'],
  wav: ['-c:a', 'pcm_s16le'],
  ogg: ['-c:a', 'libvorbis', '-q:a', '5'],
  flac: ['-c:a', 'flac'],
  m4a: ['-c:a', 'aac', '-b:a', '192k', '-movflags', '+faststart'],
  opus: ['-c:a', 'libopus', '-b:a', '128k'],
};

// yuv420p (needed by most players) wants even dimensions.
const EVEN = 'scale=trunc(iw/2)*2:trunc(ih/2)*2';

const VIDEO_ENCODERS: Record<string, string[]> = {
  mp4: ['-map', '0:v:0', '-map', '0:a:0?', '-vf', EVEN, '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-b:a', '128k', '-movflags', '+faststart'],
  webm: ['-map', '0:v:0', '-map', '0:a:0?', '-vf', EVEN, '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-row-mt', '1',
    '-b:v', '0', '-crf', '33', '-pix_fmt', 'yuv420p', '-c:a', 'libopus', '-b:a', '96k'],
  gif: ['-map', '0:v:0', '-an', '-t', String(GIF_MAX_SECONDS), '-filter_complex',
    "fps=10,scale='min(480,iw)':-2:flags=lanczos,split[a][b];[a]palettegen=stats_mode=diff[p];[b][p]paletteuse=dither=bayer", '-loop', '0'],
  mp3: ['-map', '0:a:0', '-vn', ...AUDIO_ENCODERS.mp3],
};

async function convertAudio(ctx: ConvertContext, source: string, target: string, tools: Tools): Promise<string[]> {
  const info = await probe(tools.ffprobe!, ctx.inputPath, source, ctx.signal);
  if (!hasAudio(info)) throw invalidInput(`The ${label(source)} file has no audio track.`);
  const outputPath = path.join(ctx.outputDir, `output.${target}`);
  await runFfmpeg(tools.ffmpeg!, ctx, ['-map', '0:a:0', '-vn', '-sn', '-dn', '-map_metadata', '0', ...AUDIO_ENCODERS[target]], outputPath, info.duration);
  return [outputPath];
}

async function convertVideo(ctx: ConvertContext, source: string, target: string, tools: Tools): Promise<string[]> {
  const info = await probe(tools.ffprobe!, ctx.inputPath, source, ctx.signal);
  if (target === 'mp3' && !hasAudio(info)) throw invalidInput(`The ${label(source)} video has no audio track to extract.`);
  if (target !== 'mp3' && !hasVideo(info)) throw invalidInput(`The ${label(source)} file has no video track.`);
  const duration = target === 'gif' && info.duration ? Math.min(info.duration, GIF_MAX_SECONDS) : info.duration;
  const outputPath = path.join(ctx.outputDir, `output.${target}`);
  await runFfmpeg(tools.ffmpeg!, ctx, VIDEO_ENCODERS[target], outputPath, duration);
  return [outputPath];
}

export function mediaConverters(tools: Tools): Converter[] {
  if (!tools.ffmpeg || !tools.ffprobe) return [];
  const converters: Converter[] = [];
  const add = (category: string, word: string, source: string, target: string, convert: typeof convertAudio) =>
    converters.push(
      pairConverter({ word, category, source, target, contentType: MIME[target], convert: (ctx) => convert(ctx, source, target, tools) }),
    );
  for (const source of AUDIO_FORMATS) {
    for (const target of AUDIO_FORMATS) if (source !== target) add('Audio', 'audio', source, target, convertAudio);
  }
  for (const source of VIDEO_SOURCES) {
    for (const target of VIDEO_TARGETS) if (source !== target) add('Video', 'video', source, target, convertVideo);
  }
  return converters;
}
