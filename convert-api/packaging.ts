import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';

/** Streams the files into one ZIP (entries `{stem}-{n}.{ext}` from 1, in the given order); returns its size. */
export async function zipOutputs(files: string[], stem: string, fallbackExtension: string, zipPath: string): Promise<number> {
  const zip = new yazl.ZipFile();
  files.forEach((file, index) => {
    const ext = path.extname(file).slice(1).toLowerCase() || fallbackExtension;
    zip.addFile(file, `${stem}-${index + 1}.${ext}`);
  });
  zip.end();
  await pipeline(zip.outputStream, fs.createWriteStream(zipPath));
  return (await fs.promises.stat(zipPath)).size;
}
