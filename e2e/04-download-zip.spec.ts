import yauzl from 'yauzl';
import { expect, test, uniqueName } from './fixtures.ts';
import { jobRow, statusCell } from './job-table.ts';

interface ZipEntry {
  name: string;
  head: Buffer;
}

/** Every file entry of a ZIP with its first bytes. */
function readZip(file: string): Promise<ZipEntry[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return reject(error ?? new Error('no zip'));
      const entries: ZipEntry[] = [];
      zip.on('error', reject);
      zip.on('end', () => resolve(entries));
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith('/')) return zip.readEntry();
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError || !stream) return reject(streamError ?? new Error('no stream'));
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('error', reject);
          stream.on('end', () => {
            entries.push({ name: entry.fileName, head: Buffer.concat(chunks).subarray(0, 8) });
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

test('downloading the 3-page PDF converted to PNG gives a ZIP with three images', async ({ page, api }) => {
  const name = uniqueName('PDF pages');
  const { batch } = await api.createBatch(name);
  const jobId = await api.submitSample(batch.id, 'report.pdf', 'png');

  await page.goto(`/batches/${batch.id}`);
  const row = jobRow(page, name, 'report.pdf → png');
  await expect(statusCell(row)).toContainText('Succeeded', { timeout: 45_000 });

  const { body: status } = await api.jobStatus(jobId);
  expect(status?.output).toMatchObject({ contentType: 'application/zip', fileCount: 3 });
  const fileName = status!.output!.fileName;
  expect(fileName).toMatch(/\.zip$/);

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    row.getByRole('link', { name: `Download ${fileName}`, exact: true }).click(),
  ]);
  expect(download.suggestedFilename()).toBe(fileName);
  const entries = await readZip(await download.path());
  expect(entries.map((e) => e.name)).toHaveLength(3);
  for (const entry of entries) {
    expect(entry.name).toMatch(/\.png$/);
    expect(entry.head.equals(PNG_SIGNATURE), `${entry.name} is a PNG`).toBe(true);
  }
});
