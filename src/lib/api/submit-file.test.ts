import { describe, expect, it } from 'vitest';
import { UPLOAD_KEY } from '../../../contract/dashboard-api.ts';
import { newUploadKey } from './submit-file.ts';

describe('newUploadKey', () => {
  it('makes keys the server accepts as uploadKey, a new one each time', () => {
    const keys = Array.from({ length: 200 }, newUploadKey);
    for (const key of keys) expect(key).toMatch(UPLOAD_KEY);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
