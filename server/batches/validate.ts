/**
 * Input rules of the /api routes as TypeBox schemas, each with the sentence a client shows when it is broken
 * (`description`) and, where it is not `request.invalid_body`/`request.invalid_parameter`, its own error code.
 * Fastify checks them before a handler runs (`validatorCompiler` below); handlers get typed values.
 */
import type { FastifySchemaCompiler } from 'fastify';
import { Type, type Static, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { ErrorCode } from '../../contract/errors.ts';
import { JOB_ID_PATTERN } from '../../contract/job-id.ts';
import { UPLOAD_KEY, UPLOAD_KEY_RULE } from '../../contract/dashboard-api.ts';

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

/**
 * Every name that enters (batch create and rename, file names of uploads) after its schema: cleaned and
 * trimmed; null when nothing is left (a name made only of such characters), which the route refuses.
 */
export function storedName(value: string): string | null {
  const name = cleanName(value).trim();
  return name === '' ? null : name;
}

export const NAME_MAX = 200;
export const FILE_NAME_MAX = 255;
export const MAX_REMOVE_IDS = 100_000;

/** Format names are short lowercase words (`jpg`, `tar.gz`, `mp4`); anything else never reaches the upstream. */
const TARGET_FORMAT = /^[A-Za-z0-9][A-Za-z0-9.+_-]{0,31}$/;
const TARGET_FORMAT_RULE =
  'targetFormat must be a format name such as jpg, pdf or tar.gz (e.g. ?targetFormat=jpg; letters, digits, . + _ -; at most 32).';
/** Printable text with at least one non-space: control characters have no place in a display name. */
const DISPLAY_TEXT = '^[^\\u0000-\\u001f\\u007f]*[^\\s\\u0000-\\u001f\\u007f][^\\u0000-\\u001f\\u007f]*$';

/** Extra annotations read by the validator compiler when a value fails its schema. */
interface Failure {
  /** The error code, when not the default of the request part. */
  errorCode?: string;
  errorStatus?: number;
}

const Name = Type.String({
  minLength: 1,
  maxLength: NAME_MAX,
  pattern: DISPLAY_TEXT,
  description: `{field} must be 1–${NAME_MAX} characters, not only spaces, without control characters.`,
});

const JobId = Type.String({
  pattern: JOB_ID_PATTERN,
  description: '{field} is not a job id (32 hex characters, or 8-4-4-4-12).',
  errorCode: ErrorCode.invalidJobId,
});

export const BatchParams = Type.Object({
  batchId: Type.String({
    pattern: '^[A-Za-z0-9_-]{1,64}$',
    description: 'No such batch.',
    errorCode: ErrorCode.batchNotFound,
    errorStatus: 404,
  }),
});

export const BatchJobParams = Type.Object({ batchId: BatchParams.properties.batchId, jobId: JobId });

export const CreateBatchBody = Type.Object(
  {
    name: Name,
    ids: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'ids must be text (any text containing job ids).' })),
  },
  { description: 'Expected a JSON object {"name": "...", "ids"?: "..."}.' },
);

export const RenameBatchBody = Type.Object({ name: Name }, { description: 'Expected a JSON object {"name": "..."}.' });

export const AddIdsBody = Type.Object(
  { text: Type.String() },
  { description: 'Expected a JSON object {"text": "<any text containing job ids>"}.' },
);

export const RemoveIdsBody = Type.Object(
  { ids: Type.Array(JobId, { maxItems: MAX_REMOVE_IDS, description: `At most ${MAX_REMOVE_IDS} ids per request.` }) },
  { description: 'Expected a JSON object {"ids": ["<job id>", …]}.' },
);

export const SubmitFileQuery = Type.Object({
  targetFormat: Type.String({ pattern: TARGET_FORMAT.source, description: TARGET_FORMAT_RULE }),
  fileName: Type.String({
    minLength: 1,
    maxLength: FILE_NAME_MAX,
    pattern: DISPLAY_TEXT,
    description: `fileName must be the name of the file being sent: 1–${FILE_NAME_MAX} characters, without control characters.`,
  }),
  options: Type.Optional(Type.String({ description: 'options must be a JSON object.' })),
  uploadKey: Type.Optional(Type.String({ pattern: UPLOAD_KEY.source, description: UPLOAD_KEY_RULE })),
});
export type SubmitFileQuery = Static<typeof SubmitFileQuery>;

/** A request that fails its route's schema: answered with the `{error, detail}` envelope by the error handler. */
export class InvalidRequestError extends Error {
  readonly statusCode: number;
  readonly code: string;
  constructor(statusCode: number, code: string, detail: string) {
    super(detail);
    this.statusCode = statusCode;
    this.code = code;
  }
}

const DEFAULT_CODES: Record<string, string> = {
  body: ErrorCode.invalidBody,
  querystring: ErrorCode.invalidParameter,
  params: ErrorCode.invalidParameter,
  headers: ErrorCode.invalidParameter,
};

/**
 * TypeBox's compiler (no type coercion: `{"ids": 42}` is not text), turning the first failure into one sentence
 * from the failing schema's `description`, with `{field}` replaced by where it failed (`ids[3]`).
 */
export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = Compile(schema);
  return (value) => {
    if (check.Check(value)) return { value };
    const [first] = check.Errors(value);
    let failed = schemaAt(schema, first?.schemaPath ?? '#');
    let path = first?.instancePath ?? '';
    // A missing property is reported at its parent: the property's own rule says more.
    const missing = (first?.params as { requiredProperties?: string[] } | undefined)?.requiredProperties?.[0];
    const property = missing === undefined ? undefined : (failed as { properties?: Record<string, TSchema & { description?: string }> }).properties?.[missing];
    if (property?.description) {
      failed = property;
      path = `${path}/${missing}`;
    }
    const annotations = failed as TSchema & Failure & { description?: string };
    const field = fieldLabel(path) || httpPart || 'request';
    const detail = (annotations.description ?? (schema as { description?: string }).description ?? `${field} ${first?.message ?? 'is invalid'}.`)
      .replaceAll('{field}', field);
    const code = annotations.errorCode ?? DEFAULT_CODES[httpPart ?? 'body'] ?? ErrorCode.invalidBody;
    return { error: new InvalidRequestError(annotations.errorStatus ?? 400, code, detail) };
  };
};

/** The schema that explains a failure at `schemaPath`: the deepest one on the path with a `description`. */
function schemaAt(root: TSchema, schemaPath: string): TSchema {
  let node: unknown = root;
  let explained = root;
  for (const key of schemaPath.replace(/^#\/?/, '').split('/').filter(Boolean)) {
    node = (node as Record<string, unknown> | null)?.[key];
    if (typeof node !== 'object' || node === null) break;
    if (typeof (node as { description?: unknown }).description === 'string') explained = node;
  }
  return explained;
}

/** `/ids/3` → `ids[3]`. */
function fieldLabel(instancePath: string): string {
  return instancePath
    .split('/')
    .filter(Boolean)
    .map((part, index) => (/^\d+$/.test(part) ? `[${part}]` : index === 0 ? part : `.${part}`))
    .join('');
}

/** For data files read by the server (samples/demo.json), not requests: those go through the schemas above. */
export function checkTargetFormat(value: unknown): { ok: true; value: string } | { ok: false; detail: string } {
  if (typeof value !== 'string' || !TARGET_FORMAT.test(value)) return { ok: false, detail: TARGET_FORMAT_RULE };
  return { ok: true, value: value.toLowerCase() };
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
