/**
 * The one schema for the JSON bodies the Convert API answers, and the one function that parses and checks
 * them. The tracker, the proxy and the batch service read upstream bodies only through `parseUpstreamBody`:
 * a body that is not the contract's shape (garbage, `progress: null`, missing fields) is a value saying so,
 * never a half-typed object that breaks whatever stores or shows it later.
 *
 * Objects may carry fields beyond these (the upstream may add some); the named ones must be right.
 */
import Type, { type Static, type TSchema } from 'typebox';
import Compile from 'typebox/compile';
import { JOB_STATUSES } from './status.ts';

// Ranges are not checked (the store clamps percent): a number where a number belongs is enough.
const Count = Type.Number();

export const JobProgressSchema = Type.Object({
  percent: Type.Number(),
  phase: Type.Union([Type.String(), Type.Null()]),
});

export const JobMetricsSchema = Type.Object({ inputBytes: Count, outputBytes: Count, creditCost: Count });

export const JobErrorSchema = Type.Object({ code: Type.String(), detail: Type.Union([Type.String(), Type.Null()]) });

export const JobOutputSchema = Type.Object({ fileName: Type.String(), contentType: Type.String(), fileCount: Count });

/** `200` of `GET /convert/job/{id}` (contract/job.ts `JobStatusResponse`). */
export const JobStatusResponseSchema = Type.Object({
  id: Type.String({ minLength: 1 }),
  status: Type.Union(JOB_STATUSES.map((s) => Type.Literal(s))),
  progress: JobProgressSchema,
  metrics: JobMetricsSchema,
  error: Type.Union([JobErrorSchema, Type.Null()]),
  output: Type.Union([JobOutputSchema, Type.Null()]),
});

/** `202` of `POST /convert`. */
export const JobAcceptedResponseSchema = Type.Object({
  id: Type.String({ minLength: 1 }),
  creditCost: Type.Optional(Count),
});

/** The `{error, detail}` envelope; `detail` may be missing (`404 {"error":"not_found"}`). */
export const ErrorEnvelopeSchema = Type.Object({
  error: Type.String(),
  detail: Type.Optional(Type.Union([Type.String(), Type.Null()])),
});

/** The `last` a batch job keeps: the status body less its id and status. */
export const LastStatusSchema = Type.Object({
  progress: JobProgressSchema,
  metrics: JobMetricsSchema,
  error: Type.Union([JobErrorSchema, Type.Null()]),
  output: Type.Union([JobOutputSchema, Type.Null()]),
});

export type ParsedStatus = Static<typeof JobStatusResponseSchema>;
export type LastStatus = Static<typeof LastStatusSchema>;

export type UpstreamBody<T> = { ok: true; value: T } | { ok: false; reason: string };

type Checker = { Check(value: unknown): boolean };
const compiled = new Map<TSchema, Checker>();

function checkerOf(schema: TSchema): Checker {
  let checker = compiled.get(schema);
  if (!checker) {
    checker = Compile(schema);
    compiled.set(schema, checker);
  }
  return checker;
}

/** Whether `value` has the schema's shape (compiled once per schema). */
export function matches<S extends TSchema>(schema: S, value: unknown): value is Static<S> {
  return checkerOf(schema).Check(value);
}

/** JSON text → value, or undefined when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Parses an upstream body (text or bytes) and checks it against `schema`. The reason of a refusal is a short
 * sentence for a problem record or a log line; it never quotes the body (which may carry anything).
 */
export function parseUpstreamBody<S extends TSchema>(schema: S, body: string | Buffer | undefined): UpstreamBody<Static<S>> {
  if (body === undefined || body.length === 0) return { ok: false, reason: 'The Convert API answered with an empty body.' };
  const value = parseJson(typeof body === 'string' ? body : body.toString('utf8'));
  if (value === undefined) return { ok: false, reason: 'The Convert API answered with a body that is not JSON.' };
  if (!matches(schema, value)) return { ok: false, reason: 'The Convert API answered with JSON that is not the shape the contract describes.' };
  return { ok: true, value };
}

/**
 * A stored `last` as the contract's shape, whatever was stored: rows written before bodies were checked (e.g.
 * `progress: null`) keep what can be read, and the rest falls back to empty values, so one bad row never
 * breaks a batch's snapshot.
 */
export function toLastStatus(value: unknown, percent = 0): LastStatus {
  if (matches(LastStatusSchema, value)) return value;
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  return {
    progress: matches(JobProgressSchema, v.progress) ? v.progress : { percent, phase: null },
    metrics: matches(JobMetricsSchema, v.metrics) ? v.metrics : { inputBytes: 0, outputBytes: 0, creditCost: 0 },
    error: matches(JobErrorSchema, v.error) ? v.error : null,
    output: matches(JobOutputSchema, v.output) ? v.output : null,
  };
}
