// @vitest-environment node
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY_A, fileForm, multipart, startApi, stopApi, submit, type Part, type TestApi } from './helpers.ts';

let api: TestApi;
beforeAll(async () => {
  api = await startApi({ maxFileMb: 1 });
});
afterAll(async () => {
  await stopApi(api);
});

async function post(payload: Buffer | string, headers: Record<string, string>, url = '/convert') {
  return api.app.inject({ method: 'POST', url, payload, headers: { 'x-fast-api-key': KEY_A, ...headers } });
}

async function postParts(parts: Part[], url = '/convert') {
  const { payload, headers } = multipart(parts);
  return post(payload, headers, url);
}

const BIG = Buffer.alloc(1024 * 1024 + 1, 97);

describe('POST /convert', () => {
  it('accepts one file and answers 202 with the id, Queued and the credit cost', async () => {
    const res = await submit(api, 'notes.txt', 'hello');
    expect(res.statusCode).toBe(202);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(['creditCost', 'id', 'status']);
    expect(body.id).toMatch(/^[0-9a-f]{32}$/);
    expect(body.id[12]).toBe('7'); // GUIDv7
    expect(body).toMatchObject({ status: 'Queued', creditCost: 2 });
  });

  it('takes targetFormat from the query, and the form field wins over the query', async () => {
    const viaQuery = await postParts([{ name: 'file', value: 'x', fileName: 'a.txt' }], '/convert?targetFormat=md');
    expect(viaQuery.statusCode).toBe(202);
    expect(viaQuery.json().creditCost).toBe(1);
    const both = await postParts(
      [{ name: 'file', value: 'x', fileName: 'a.txt' }, { name: 'targetFormat', value: 'out' }],
      '/convert?targetFormat=md',
    );
    expect(both.json().creditCost).toBe(2);
  });

  it('reads the source format from the lower-cased extension', async () => {
    expect((await submit(api, 'NOTES.TXT', 'x')).statusCode).toBe(202);
    expect((await submit(api, 'notes.text', 'x')).statusCode).toBe(202);
  });

  it('accepts valid options and refuses options that are not a JSON object of known names', async () => {
    expect((await submit(api, 'a.txt', 'x', 'out', KEY_A, [{ name: 'options', value: '{"level":3}' }])).statusCode).toBe(202);
    for (const value of ['{not json', '[1,2]', '"text"', '42', 'null', '{"nope":1}', '{"level":"high"}']) {
      const res = await submit(api, 'a.txt', 'x', 'out', KEY_A, [{ name: 'options', value }]);
      expect(res.statusCode, value).toBe(400);
      expect(res.json().error, value).toBe('request.invalid_parameter');
      expect(typeof res.json().detail).toBe('string');
    }
  });

  it('refuses an option that exists for other conversions but not for this one', async () => {
    const res = await submit(api, 'a.txt', 'x', 'md', KEY_A, [{ name: 'options', value: '{"level":1}' }]);
    expect(res.json()).toMatchObject({ error: 'request.invalid_parameter' });
  });

  const cases: [string, () => Promise<{ statusCode: number; json(): Record<string, unknown> }>, number, Record<string, unknown>][] = [
    ['a JSON body', () => post('{"file":"x"}', { 'content-type': 'application/json' }), 400, { error: 'request.invalid_content_type' }],
    ['a broken JSON body', () => post('{"file":', { 'content-type': 'application/json' }), 400, { error: 'request.invalid_content_type' }],
    ['an XML body', () => post('<file/>', { 'content-type': 'application/xml' }), 400, { error: 'request.invalid_content_type' }],
    ['a body without content type', () => post('x', {}), 400, { error: 'request.invalid_content_type' }],
    ['multipart without a boundary', () => post('x', { 'content-type': 'multipart/form-data' }), 400, { error: 'request.invalid_content_type' }],
    [
      'a malformed multipart body',
      () => post('--b\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nabc', { 'content-type': 'multipart/form-data; boundary=b' }),
      400,
      { error: 'request.invalid_content_type' },
    ],
    ['no file', () => postParts([{ name: 'targetFormat', value: 'out' }]), 400, { error: 'request.no_files' }],
    ['an empty form', () => postParts([]), 400, { error: 'request.no_files' }],
    [
      'two files',
      () => postParts([{ name: 'file', value: 'a', fileName: 'a.txt' }, { name: 'file', value: 'b', fileName: 'b.txt' }, { name: 'targetFormat', value: 'out' }]),
      400,
      { error: 'request.invalid_parameter' },
    ],
    ['a file part not named file', () => postParts([{ name: 'upload', value: 'a', fileName: 'a.txt' }, { name: 'targetFormat', value: 'out' }]), 400, { error: 'request.invalid_parameter' }],
    ['a file over the limit', () => submit(api, 'big.txt', BIG), 413, { error: 'request.file_too_large', megabytes: 1 }],
    ['an empty file', () => submit(api, 'empty.txt', ''), 400, { error: 'request.empty_file' }],
    ['no target format', () => postParts([{ name: 'file', value: 'a', fileName: 'a.txt' }]), 400, { error: 'convert.missing_target_format' }],
    ['an empty target format', () => submit(api, 'a.txt', 'x', ''), 400, { error: 'convert.missing_target_format' }],
    ['inputUrl', () => submit(api, 'a.txt', 'x', 'out', KEY_A, [{ name: 'inputUrl', value: 'https://example.com/a.txt' }]), 400, { error: 'request.invalid_parameter' }],
    ['webhookUrl', () => submit(api, 'a.txt', 'x', 'out', KEY_A, [{ name: 'webhookUrl', value: 'https://example.com/hook' }]), 400, { error: 'request.invalid_parameter' }],
    ['a name without extension', () => submit(api, 'README', 'x'), 400, { error: 'convert.unsupported_source_format', sourceFormat: '', supportedTargets: [] }],
    ['an unknown extension', () => submit(api, 'a.xyz', 'x'), 400, { error: 'convert.unsupported_source_format', sourceFormat: 'xyz', supportedTargets: [] }],
    [
      'an unsupported pair',
      () => submit(api, 'a.txt', 'x', 'PNG'),
      400,
      { error: 'convert.unsupported_format_pair', sourceFormat: 'txt', targetFormat: 'png', supportedTargets: ['md', 'out'] },
    ],
    // Several problems at once: the first in CONTRACT.md's order answers.
    [
      'two files, one too large',
      () => postParts([{ name: 'file', value: BIG, fileName: 'a.txt' }, { name: 'file', value: 'b', fileName: 'b.txt' }]),
      400,
      { error: 'request.invalid_parameter' },
    ],
    ['a file too large and no target', () => postParts([{ name: 'file', value: BIG, fileName: 'a.xyz' }]), 413, { error: 'request.file_too_large' }],
    ['an empty file of an unknown type without target', () => postParts([{ name: 'file', value: '', fileName: 'a.xyz' }]), 400, { error: 'request.empty_file' }],
    ['no target and bad options', () => postParts([{ name: 'file', value: 'a', fileName: 'a.xyz' }, { name: 'options', value: '{' }]), 400, { error: 'convert.missing_target_format' }],
    ['bad options and an unknown type', () => submit(api, 'a.xyz', 'x', 'out', KEY_A, [{ name: 'options', value: '{' }]), 400, { error: 'request.invalid_parameter' }],
  ];

  it.each(cases)('answers %s with the contract error', async (_name, send, status, expected) => {
    const res = await send();
    expect(res.statusCode).toBe(status);
    const body = res.json();
    expect(body).toMatchObject(expected);
    expect('detail' in body).toBe(true);
  });

  it('removes a partial upload that went over the limit and keeps nothing of refused requests', async () => {
    await submit(api, 'big.txt', BIG);
    await submit(api, 'a.xyz', 'x');
    expect(await fs.readdir(path.join(api.dataDir, 'incoming'))).toEqual([]);
  });

  it('answers 401 before looking at the body', async () => {
    const { payload, headers } = fileForm('a.txt', 'x', 'out');
    const res = await api.app.inject({ method: 'POST', url: '/convert', payload, headers: { ...headers, 'x-fast-api-key': 'wrong' } });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: 'api_key.invalid_or_ip_not_allowed', detail: expect.any(String) });
    const empty = await api.app.inject({ method: 'POST', url: '/convert', payload: '{', headers: { 'content-type': 'application/json' } });
    expect(empty.json().error).toBe('api_key.invalid_or_ip_not_allowed');
  });
});
