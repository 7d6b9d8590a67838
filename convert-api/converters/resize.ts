import type { Sharp } from 'sharp';
import type { ConverterOptions } from './types.ts';

/**
 * Named sizes as a landscape bounding box. A portrait image gets the box turned, so `1080p` means "about 1080
 * pixels on the short side" whatever the orientation; the image always fits inside and is never enlarged.
 */
export const RESIZE_PRESETS: Record<string, { width: number; height: number }> = {
  '480p': { width: 854, height: 480 },
  '720p': { width: 1280, height: 720 },
  '1080p': { width: 1920, height: 1080 },
  '1440p': { width: 2560, height: 1440 },
  '4k': { width: 3840, height: 2160 },
};

const MAX_SIDE = 16384;
const RESIZE_KEYS = new Set(['enabled', 'preset', 'width', 'height']);

export interface ResizeBox {
  width?: number;
  height?: number;
}

/** A sentence saying what is wrong with `options.resize`, or null when it is absent or valid. */
export function validateResize(options: ConverterOptions): string | null {
  const resize: unknown = options.resize;
  if (resize === undefined || resize === null) return null;
  if (typeof resize !== 'object' || Array.isArray(resize)) {
    return 'The resize option must be an object such as {"enabled":true,"preset":"1080p"}.';
  }
  const r = resize as Record<string, unknown>;
  const unknown = Object.keys(r).filter((k) => !RESIZE_KEYS.has(k));
  if (unknown.length) return `The resize option does not know ${unknown.map((k) => `"${k}"`).join(', ')}.`;
  if (typeof r.enabled !== 'boolean') return 'resize.enabled must be true or false.';
  if (!r.enabled) return null;
  const presets = Object.keys(RESIZE_PRESETS).join(', ');
  if (r.preset !== undefined) {
    if (typeof r.preset !== 'string' || !(r.preset.toLowerCase() in RESIZE_PRESETS)) {
      return `resize.preset must be one of ${presets}.`;
    }
    if (r.width !== undefined || r.height !== undefined) return 'Give either resize.preset or resize.width/height, not both.';
    return null;
  }
  if (r.width === undefined && r.height === undefined) {
    return `An enabled resize needs a preset (${presets}) or a width and/or height.`;
  }
  for (const key of ['width', 'height'] as const) {
    const v = r[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_SIDE) {
      return `resize.${key} must be a whole number of pixels from 1 to ${MAX_SIDE}.`;
    }
  }
  return null;
}

/** The box to fit into for an image of the given size, or null when no resize is asked for. */
export function resizeBox(options: ConverterOptions, imageWidth: number, imageHeight: number): ResizeBox | null {
  const r = options.resize;
  if (!r || !r.enabled) return null;
  if (r.preset) {
    const box = RESIZE_PRESETS[r.preset.toLowerCase()];
    return imageHeight > imageWidth ? { width: box.height, height: box.width } : { ...box };
  }
  return { width: r.width, height: r.height };
}

/** Applies the resize option to a sharp pipeline: fit inside, keep the aspect ratio, never enlarge. */
export function applyResize(pipeline: Sharp, options: ConverterOptions, width: number, height: number): Sharp {
  const box = resizeBox(options, width, height);
  if (!box) return pipeline;
  return pipeline.resize({ width: box.width, height: box.height, fit: 'inside', withoutEnlargement: true });
}
