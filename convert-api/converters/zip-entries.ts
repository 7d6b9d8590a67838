import yauzl from 'yauzl';

export interface ZipEntryInfo {
  name: string;
  uncompressedSize: number;
  isDirectory: boolean;
}

/** Lists a ZIP's central directory without extracting anything; rejects when the file is not a readable ZIP. */
export function listZipEntries(zipPath: string): Promise<ZipEntryInfo[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(zipPath, { lazyEntries: true, autoClose: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('unreadable zip'));
      const entries: ZipEntryInfo[] = [];
      zip.on('entry', (entry: yauzl.Entry) => {
        entries.push({ name: entry.fileName, uncompressedSize: entry.uncompressedSize, isDirectory: entry.fileName.endsWith('/') });
        zip.readEntry();
      });
      zip.on('end', () => resolve(entries));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}
