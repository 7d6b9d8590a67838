/**
 * Job ids are GUIDv7, shown as 32 lowercase hex characters; the hyphenated 8-4-4-4-12 form also appears.
 * Only ids matching one of these two shapes may ever be put into a URL path.
 */
/** Both shapes as one JSON-schema pattern (the /api route schemas use it). */
export const JOB_ID_PATTERN = '^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$';
const JOB_ID = new RegExp(JOB_ID_PATTERN);

export function isValidJobId(value: string): boolean {
  return JOB_ID.test(value);
}

/** The canonical form: 32 lowercase hex. Returns null for anything that is not a safe id. */
export function normalizeJobId(value: string): string | null {
  if (!isValidJobId(value)) return null;
  return value.replaceAll('-', '').toLowerCase();
}

export type RejectReason = 'wrong_length' | 'not_hex' | 'malformed_hyphenation';

export interface ExtractedIds {
  /** Canonical ids in first-seen order, without duplicates. */
  ids: string[];
  /** How many tokens were ids already seen earlier in the same text. */
  duplicates: number;
  /** Tokens that look like an attempt at an id but are not one, with why. */
  rejected: { token: string; reason: RejectReason }[];
}

// Tokens are runs of characters that can be part of an id; everything else (commas, quotes, brackets,
// spaces, colons of log lines, JSON punctuation) separates them.
const TOKEN = /[0-9A-Za-z-]+/g;
const HEX_OR_HYPHEN = /^[0-9a-fA-F-]+$/;

// An id glued to a word by a hyphen (`job-<id>`, `<id>-output`) is still found.
const EMBEDDED =
  /(?<![0-9a-fA-F])(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{32})(?![0-9a-fA-F])/;

function classify(token: string): { id: string } | { reason: RejectReason } | null {
  const id = normalizeJobId(token) ?? normalizeJobId(token.match(EMBEDDED)?.[0] ?? '');
  if (id) return { id };
  const hexCount = token.replaceAll('-', '').length;
  // Plain words of a log line or a CSV header are not rejections: only tokens that look id-like are reported.
  const idLike = hexCount >= 16 && /[0-9]/.test(token);
  if (!idLike) return null;
  if (!HEX_OR_HYPHEN.test(token)) return { reason: 'not_hex' };
  if (token.includes('-') && hexCount === 32) return { reason: 'malformed_hyphenation' };
  return { reason: 'wrong_length' };
}

/**
 * Pulls job ids out of any text an operator may paste: one per line, comma or space separated, CSV, JSON,
 * log lines. Ids embedded in longer tokens (e.g. a URL path `/convert/job/<id>/download`) are found because
 * `/` separates tokens.
 */
export function extractJobIds(text: string): ExtractedIds {
  const extractor = createIdExtractor();
  extractor.add(text);
  return extractor.result();
}

/**
 * `extractJobIds` fed piece by piece (a server cuts a 5 MB paste into slices so as not to hold its event
 * loop): `add` each piece of the text in order, then read `result`. Pieces must be cut between tokens
 * (see `tokenBoundary`); the result is the same as for the whole text at once.
 */
export function createIdExtractor(): { add(text: string): void; result(): ExtractedIds } {
  const seen = new Set<string>();
  const ids: string[] = [];
  const rejected: ExtractedIds['rejected'] = [];
  let duplicates = 0;
  return {
    add(text) {
      for (const match of text.matchAll(TOKEN)) {
        const result = classify(match[0]);
        if (result === null) continue;
        if ('reason' in result) {
          rejected.push({ token: match[0], reason: result.reason });
          continue;
        }
        if (seen.has(result.id)) {
          duplicates++;
          continue;
        }
        seen.add(result.id);
        ids.push(result.id);
      }
    },
    result: () => ({ ids, duplicates, rejected }),
  };
}

const TOKEN_CHAR = /[0-9A-Za-z-]/;

/** The first index at or after `from` where `text` may be cut without cutting a token in two. */
export function tokenBoundary(text: string, from: number): number {
  let i = Math.min(from, text.length);
  while (i < text.length && i > 0 && TOKEN_CHAR.test(text[i - 1]) && TOKEN_CHAR.test(text[i])) i++;
  return i;
}

export const REJECT_REASON_TEXT: Record<RejectReason, string> = {
  wrong_length: 'a job id has exactly 32 hex characters',
  not_hex: 'contains characters that are not hex (0-9, a-f)',
  malformed_hyphenation: 'hyphens must split the id 8-4-4-4-12',
};
