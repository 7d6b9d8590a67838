/** Input rules of the /api routes, each with the sentence a client shows when it is broken. */

const BATCH_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** Format names are short lowercase words (`jpg`, `tar.gz`, `mp4`); anything else never reaches the upstream. */
const TARGET_FORMAT = /^[A-Za-z0-9][A-Za-z0-9.+_-]{0,31}$/;
// Control characters have no place in a display name.
// eslint-disable-next-line no-control-regex -- matching them is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

export const NAME_MAX = 200;
export const FILE_NAME_MAX = 255;

export function isBatchId(value: string): boolean {
  return BATCH_ID.test(value);
}

export type Checked<T> = { ok: true; value: T } | { ok: false; detail: string };

export function checkName(value: unknown, field = 'name'): Checked<string> {
  if (typeof value !== 'string') return { ok: false, detail: `${field} must be a string.` };
  const name = value.trim();
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
  const name = value.trim();
  if (name.length < 1 || name.length > FILE_NAME_MAX) {
    return { ok: false, detail: `fileName must be 1–${FILE_NAME_MAX} characters.` };
  }
  if (CONTROL.test(name)) return { ok: false, detail: 'fileName must not contain control characters.' };
  return { ok: true, value: name };
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
