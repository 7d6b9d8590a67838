import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ErrorCode } from '../../contract/errors.ts';
import type { JobAcceptedResponse } from '../../contract/job.ts';
import { ApiError } from '../api-error.ts';
import type { Converter } from '../converters/types.ts';
import { canonicalFormat, parseFileName } from '../../contract/file-format.ts';
import { newJobId } from '../job-ids.ts';
import type { JobService } from '../service.ts';

const UNSUPPORTED_FIELDS = ['inputUrl', 'webhookUrl', 'webhookSecret', 'webhookEvents'];

interface ReceivedFile {
  fieldName: string;
  fileName: string;
  tempPath: string;
  bytes: number;
  tooLarge: boolean;
}

interface ReceivedForm {
  files: ReceivedFile[];
  fields: Map<string, string>;
  /** The body was not valid multipart (after the first error nothing else is read). */
  malformed: string | null;
}

function isMalformedMultipart(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? '';
  const message = error instanceof Error ? error.message : '';
  return code.startsWith('FST_') || /multipart|boundary|unexpected end/i.test(message);
}

/**
 * Reads the whole form, streaming each file to its own temp file with the size counted while it streams.
 * The whole form is read before judging it, so that the first problem in CONTRACT.md's order answers.
 */
async function receiveForm(request: FastifyRequest, service: JobService): Promise<ReceivedForm> {
  const form: ReceivedForm = { files: [], fields: new Map(), malformed: null };
  try {
    for await (const part of request.parts()) {
      if (part.type === 'field') {
        if (typeof part.value === 'string' && !form.fields.has(part.fieldname)) form.fields.set(part.fieldname, part.value);
        continue;
      }
      const tempPath = path.join(service.files.incoming, randomBytes(16).toString('hex'));
      const file: ReceivedFile = { fieldName: part.fieldname, fileName: part.filename ?? '', tempPath, bytes: 0, tooLarge: false };
      form.files.push(file);
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          file.bytes += chunk.length;
          callback(null, chunk);
        },
      });
      // Only the first file is kept: any other makes the request invalid anyway.
      const sink = form.files.length === 1 ? fs.createWriteStream(tempPath) : fs.createWriteStream('/dev/null');
      await pipeline(part.file, counter, sink);
      if (part.file.truncated) file.tooLarge = true;
    }
  } catch (error) {
    if ((error as { code?: string }).code === 'FST_FILES_LIMIT') {
      form.files.push({ fieldName: 'file', fileName: '', tempPath: '', bytes: 0, tooLarge: false });
    } else if (isMalformedMultipart(error)) {
      form.malformed = error instanceof Error ? error.message : 'malformed multipart body';
    } else {
      // e.g. the client went away mid-upload: nothing of it may stay on disk.
      await Promise.all(form.files.map((f) => fs.promises.rm(f.tempPath, { force: true })));
      throw error;
    }
  }
  return form;
}

function parseOptions(raw: string | undefined, allOptionNames: Set<string>): Record<string, unknown> {
  if (raw === undefined || raw.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new ApiError(400, ErrorCode.invalidParameter, 'options must be a JSON object (it is not valid JSON).');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ApiError(400, ErrorCode.invalidParameter, 'options must be a JSON object.');
  }
  for (const name of Object.keys(value)) {
    if (!allOptionNames.has(name)) throw new ApiError(400, ErrorCode.invalidParameter, `Unknown option "${name}".`);
  }
  return value as Record<string, unknown>;
}

export async function submitRoute(app: FastifyInstance, service: JobService): Promise<void> {
  const { options } = service;
  const allOptionNames = new Set(options.converters.flatMap((c) => c.optionNames));

  // Checked before Fastify parses the body: a broken JSON body is a wrong content type, not a bad parameter.
  const onRequest = async (request: FastifyRequest) => {
    const contentType = request.headers['content-type'] ?? '';
    if (!/^multipart\/form-data\s*;.*boundary=/i.test(contentType)) {
      throw new ApiError(400, ErrorCode.invalidContentType, 'The body must be multipart/form-data with one part named "file".');
    }
  };

  app.post('/convert', { onRequest }, async (request, reply) => {
    const account = request.account;
    const form = await receiveForm(request, service);
    const cleanup = () => Promise.all(form.files.filter((f) => f.tempPath).map((f) => fs.promises.rm(f.tempPath, { force: true })));
    try {
      if (form.malformed !== null) {
        throw new ApiError(400, ErrorCode.invalidContentType, `The multipart body is malformed: ${form.malformed}`);
      }
      if (form.files.length === 0) throw new ApiError(400, ErrorCode.noFiles, 'No file was sent: add one part named "file".');
      if (form.files.length > 1) throw new ApiError(400, ErrorCode.invalidParameter, 'Send exactly one file per request.');
      const file = form.files[0];
      if (file.fieldName !== 'file') {
        throw new ApiError(400, ErrorCode.invalidParameter, `The file part must be named "file", not "${file.fieldName}".`);
      }
      if (file.tooLarge) {
        throw new ApiError(413, ErrorCode.fileTooLarge, `The file is larger than ${options.maxFileMb} MB.`, { megabytes: options.maxFileMb });
      }
      if (file.bytes === 0) throw new ApiError(400, ErrorCode.emptyFile, 'The file is empty.');

      const query = request.query as Record<string, unknown>;
      const rawTarget = form.fields.get('targetFormat') || (typeof query.targetFormat === 'string' ? query.targetFormat : '');
      if (!rawTarget.trim()) throw new ApiError(400, ErrorCode.missingTargetFormat, 'targetFormat is required.');
      const targetFormat = canonicalFormat(rawTarget);

      for (const name of UNSUPPORTED_FIELDS) {
        if (form.fields.has(name) || query[name] !== undefined) {
          throw new ApiError(400, ErrorCode.invalidParameter, `${name} is not supported by this server: upload the file itself.`);
        }
      }
      const converterOptions = parseOptions(form.fields.get('options'), allOptionNames);

      const { sourceFormat, stem } = parseFileName(file.fileName);
      const fromSource = sourceFormat === null ? [] : options.converters.filter((c) => c.sourceFormats.includes(sourceFormat));
      if (sourceFormat === null || fromSource.length === 0) {
        throw new ApiError(400, ErrorCode.unsupportedSourceFormat, sourceFormat === null ? 'The file name has no extension.' : `Files of type "${sourceFormat}" cannot be converted.`, {
          sourceFormat: sourceFormat ?? '',
          supportedTargets: [],
        });
      }
      const converter: Converter | undefined = fromSource.find((c) => c.targetFormat === targetFormat);
      if (!converter) {
        throw new ApiError(400, ErrorCode.unsupportedFormatPair, `${sourceFormat} cannot be converted to ${targetFormat}.`, {
          sourceFormat,
          targetFormat,
          supportedTargets: [...new Set(fromSource.map((c) => c.targetFormat))].sort(),
        });
      }
      for (const name of Object.keys(converterOptions)) {
        if (!converter.optionNames.includes(name)) {
          throw new ApiError(400, ErrorCode.invalidParameter, `The option "${name}" does not apply to ${sourceFormat} → ${targetFormat}.`);
        }
      }
      const invalid = converter.validateOptions?.(converterOptions) ?? null;
      if (invalid) throw new ApiError(400, ErrorCode.invalidParameter, invalid);

      if (service.activeCount(account) >= options.maxActivePerAccount) {
        throw new ApiError(
          429,
          ErrorCode.queueLimitExceeded,
          `At most ${options.maxActivePerAccount} jobs may be queued or running at once.`,
          {},
          { 'retry-after': String(Math.max(1, Math.ceil(options.minJobMs / 1000))) },
        );
      }

      const id = newJobId(options.clock.now());
      await fs.promises.rename(file.tempPath, service.files.upload(id));
      try {
        service.submit({
          id,
          account,
          converterId: converter.id,
          sourceFormat,
          targetFormat,
          stem: stem || 'file',
          options: JSON.stringify(converterOptions),
          inputBytes: file.bytes,
          creditCost: converter.creditCost,
          createdAt: options.clock.now(),
        });
      } catch (error) {
        // A job the store could not record (SQLITE_FULL: the error handler's 507) leaves no upload behind.
        await fs.promises.rm(service.files.upload(id), { force: true });
        throw error;
      }
      const body: JobAcceptedResponse = { id, status: 'Queued', creditCost: converter.creditCost };
      return reply.code(202).send(body);
    } finally {
      await cleanup();
    }
  });
}
