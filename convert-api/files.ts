import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Where the service keeps its files. Every name on disk comes from a validated job id or from the service
 * itself, never from the client's file name.
 */
export class DataFiles {
  readonly uploads: string;
  readonly work: string;
  readonly outputs: string;
  readonly incoming: string;

  constructor(readonly root: string) {
    this.uploads = path.join(root, 'uploads');
    this.incoming = path.join(root, 'incoming');
    this.work = path.join(root, 'work');
    this.outputs = path.join(root, 'outputs');
  }

  async ensure(): Promise<void> {
    for (const dir of [this.root, this.uploads, this.incoming, this.work, this.outputs]) {
      await fs.mkdir(dir, { recursive: true });
    }
  }

  get databasePath(): string {
    return path.join(this.root, 'convert-api.sqlite');
  }

  /** The converter tools running now (see converters/process-groups.ts). */
  get processGroupsPath(): string {
    return path.join(this.root, 'process-groups.json');
  }

  upload(id: string): string {
    return path.join(this.uploads, id);
  }

  workDir(id: string): string {
    return path.join(this.work, id);
  }

  /** The single stored output of a job (a converter's file or the ZIP of several). */
  output(id: string): string {
    return path.join(this.outputs, id);
  }

  async removeJobFiles(id: string): Promise<void> {
    await Promise.all([
      fs.rm(this.upload(id), { force: true }),
      fs.rm(this.output(id), { force: true }),
      fs.rm(this.workDir(id), { recursive: true, force: true }),
    ]);
  }

  /**
   * After a crash: partial uploads and half-done work are dropped (running jobs run again from the start),
   * and any upload or output not referenced by a job is an orphan.
   */
  async removeOrphans(keep: { uploads: Set<string>; outputs: Set<string> }): Promise<void> {
    await fs.rm(this.incoming, { recursive: true, force: true });
    await fs.rm(this.work, { recursive: true, force: true });
    await fs.mkdir(this.incoming, { recursive: true });
    await fs.mkdir(this.work, { recursive: true });
    for (const [dir, ids] of [[this.uploads, keep.uploads], [this.outputs, keep.outputs]] as const) {
      for (const name of await fs.readdir(dir)) {
        if (!ids.has(name)) await fs.rm(path.join(dir, name), { recursive: true, force: true });
      }
    }
  }
}
