import type { TSchema } from 'typebox';
import { describe, expect, it } from 'vitest';
import { BatchParams, CreateBatchBody, InvalidRequestError, RemoveIdsBody, SubmitFileQuery, validatorCompiler } from './validate.ts';

function failure(schema: TSchema, httpPart: string, value: unknown) {
  const validate = validatorCompiler({ schema, httpPart, method: 'POST', url: '/api/test' });
  const result = validate(value) as { error?: unknown; value?: unknown };
  expect(result.error).toBeInstanceOf(InvalidRequestError);
  const error = result.error as InvalidRequestError;
  return { status: error.statusCode, code: error.code, detail: error.message };
}

describe('the /api route schemas', () => {
  const id = 'a'.repeat(32);

  it('names the field and the rule of a bad batch name', () => {
    expect(failure(CreateBatchBody, 'body', { name: '   ' })).toEqual({
      status: 400,
      code: 'request.invalid_body',
      detail: 'name must be 1–200 characters, not only spaces, without control characters.',
    });
    expect(failure(CreateBatchBody, 'body', { name: 'a\u0007b' }).detail).toMatch(/control characters/);
    expect(failure(CreateBatchBody, 'body', {}).detail).toMatch(/^name must be/);
  });

  it('does not coerce: a number is not text', () => {
    expect(failure(CreateBatchBody, 'body', { name: 'ok', ids: 42 }).detail).toBe('ids must be text (any text containing job ids).');
    expect(failure(CreateBatchBody, 'body', 'hi').detail).toMatch(/Expected a JSON object/);
  });

  it('points at the first id that is not one, with its own error code', () => {
    expect(failure(RemoveIdsBody, 'body', { ids: [id, '../etc'] })).toEqual({
      status: 400,
      code: 'request.invalid_job_id',
      detail: 'ids[1] is not a job id (32 hex characters, or 8-4-4-4-12).',
    });
  });

  it('answers a batch id of the wrong shape as a batch that does not exist', () => {
    expect(failure(BatchParams, 'params', { batchId: '../etc' })).toMatchObject({ status: 404, code: 'batches.not_found' });
  });

  it('explains query parameters as invalid parameters', () => {
    expect(failure(SubmitFileQuery, 'querystring', { fileName: 'a.png' })).toMatchObject({
      code: 'request.invalid_parameter',
      detail: expect.stringMatching(/^targetFormat must be a format name/),
    });
    expect(failure(SubmitFileQuery, 'querystring', { targetFormat: 'jpg', fileName: 'a\nb' }).detail).toMatch(/^fileName must be/);
  });

  it('lets valid values through unchanged', () => {
    const validate = validatorCompiler({ schema: RemoveIdsBody, httpPart: 'body', method: 'POST', url: '/api/test' });
    expect(validate({ ids: [id] })).toEqual({ value: { ids: [id] } });
  });
});
