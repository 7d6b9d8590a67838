import { describe, expect, it } from 'vitest';
import { canonicalFormat, parseFileName, sourceFormatOf } from './file-format.ts';

describe('file name to source format', () => {
  it.each([
    ['photo.PNG', 'png'],
    ['photo.jpeg', 'jpg'],
    ['scan.TIF', 'tiff'],
    ['backup.tar.gz', 'tar.gz'],
    ['backup.TGZ', 'tar.gz'],
    ['archive.gz', 'gz'],
    ['C:\\Users\\me\\report.docx', 'docx'],
    ['../../etc/clip.mp4', 'mp4'],
    ['  spaced.webp  ', 'webp'],
  ])('reads %j as %j', (name, format) => {
    expect(sourceFormatOf(name)).toBe(format);
  });

  it.each(['README', '.png', 'photo.', '.tgz', 'dir.png/'])('finds no source format in %j', (name) => {
    expect(sourceFormatOf(name)).toBeNull();
  });

  it('keeps the stem the outputs are named after, without the path or the compound extension', () => {
    expect(parseFileName('a/b/holiday.tar.gz')).toEqual({ sourceFormat: 'tar.gz', stem: 'holiday' });
    expect(parseFileName('my.photo.JPEG')).toEqual({ sourceFormat: 'jpg', stem: 'my.photo' });
    expect(parseFileName('')).toEqual({ sourceFormat: null, stem: 'file' });
  });

  it('spells target formats the same way as source formats', () => {
    expect(canonicalFormat(' .JPEG')).toBe('jpg');
    expect(canonicalFormat('tgz')).toBe('tar.gz');
  });
});
