/**
 * Input rules of the /api routes, each with the sentence a client shows when it is broken. Every name that
 * enters (batch names, file names of uploads) passes `checkName` or `checkFileName`, so through `cleanName`.
 */

const BATCH_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** Format names are short lowercase words (`jpg`, `tar.gz`, `mp4`); anything else never reaches the upstream. */
const TARGET_FORMAT = /^[A-Za-z0-9][A-Za-z0-9.+_-]{0,31}$/;
// Control characters have no place in a display name.
// eslint-disable-next-line no-control-regex -- matching them is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Characters that make a name look other than it is (Trojan-source style): bidirectional embeddings,
 * overrides and isolates (U+202A–U+202E, U+2066–U+2069), and zero-width characters (U+200B–U+200D,
 * U+2060, U+FEFF). A zero-width joiner between two pictographs stays: it is how emoji such as 👩‍💻 are spelled.
 */
const DECEPTIVE = /[\u202A-\u202E\u2066-\u2069\u200B\u200C\u2060\uFEFF]|(?<!\p{Extended_Pictographic}(?:[\u{1F3FB}-\u{1F3FF}]|\uFE0F)?)\u200D|\u200D(?!\p{Extended_Pictographic})/gu;

/** A name as it may be stored and shown: the deceptive characters above removed, everything else kept. */
export function cleanName(value: string): string {
  return value.replace(DECEPTIVE, '');
}

export const NAME_MAX = 200;
export const FILE_NAME_MAX = 255;

export function isBatchId(value: string): boolean {
  return BATCH_ID.test(value);
}

export type Checked<T> = { ok: true; value: T } | { ok: false; detail: string };

export function checkName(value: unknown, field = 'name'): Checked<string> {
  if (typeof value !== 'string') return { ok: false, detail: `${field} must be a string.` };
  const name = cleanName(value).trim();
  if (name.length < 1 || name.length > NAME_MAX) {
    return { ok: false, detail: `${field} must be 1–${NAME_MAX} characters after trimming (got ${name.length}).` };
  }
  if (CONTROL.test(name)) return { ok: false, detail: `${field} must not contain control characters.` };
  return { ok: true, value: name };
}

export function checkTargetFormat(value: unknown): Checked<string> {
  if (typeof value !== 'string' || value === '') return { ok: false, detail: 'targetFormat is required (e.g. ?targetFormat=jpg).' };
  if (!TARGET_FORMAT.test(value)) {
    return { ok: false, detail: 'targetFormat must be a format name such as jpg, pdf or tar.gz (letters, digits, . + _ -; at most 32).' };
  }
  return { ok: true, value: value.toLowerCase() };
}

export function checkFileName(value: unknown): Checked<string> {
  if (typeof value !== 'string') return { ok: false, detail: 'fileName is required (the name of the file being sent).' };
  const name = cleanName(value).trim();
  if (name.length < 1 || name.length > FILE_NAME_MAX) {
    return { ok: false, detail: `fileName must be 1–${FILE_NAME_MAX} characters.` };
  }
  if (CONTROL.test(name)) return { ok: false, detail: 'fileName must not contain control characters.' };
  return { ok: true, value: name };
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
