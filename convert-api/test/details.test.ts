// @vitest-environment node
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { publicDetail } from '../details.ts';

describe('error details for clients', () => {
  const dataDir = '/srv/convert data/convert-api';

  it('replaces a path inside the data folder (spaces included) with its file name', () => {
    expect(publicDetail(`The PNG image is damaged (${dataDir}/work/0123/output.png: write error).`, dataDir)).toBe(
      'The PNG image is damaged (output.png: write error).',
    );
  });

  it('replaces paths in the temp folder and any other absolute path', () => {
    const tmp = path.join(os.tmpdir(), 'convert-soffice-Ab12', 'in', 'document.docx');
    expect(publicDetail(`LibreOffice could not open ${tmp}`, dataDir)).toBe('LibreOffice could not open document.docx');
    expect(publicDetail("ENOENT: no such file or directory, open '/var/lib/x/uploads/abc'", dataDir)).toBe(
      "ENOENT: no such file or directory, open 'abc'",
    );
  });

  it('keeps sentences, MIME types, ratios and URLs as they are', () => {
    for (const text of [
      'The file is not a PNG image: its content is JPEG.',
      'image/png and application/pdf at 1/2 size',
      'See https://example.com/docs/errors for more.',
      'At most 100 megapixels.',
    ]) {
      expect(publicDetail(text, dataDir)).toBe(text);
    }
  });
});
