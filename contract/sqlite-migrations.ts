/**
 * Numbered schema migrations for the project's two SQLite stores (the dashboard's batches and the bundled
 * service's jobs), kept in `PRAGMA user_version`.
 *
 * This is the one piece of storage code that both sides share: the rule "a schema changes only through a
 * numbered, tested migration" is the project's, so it is written once. A store lists its migrations in order,
 * 1, 2, 3 …; each runs in its own transaction together with the `user_version` bump, so a crash leaves the
 * database at the previous version, never between two. Migration 1 of each store is the schema as it stood
 * before migrations existed, written with `IF NOT EXISTS`, so data folders from those versions (user_version 0)
 * pick it up unchanged.
 */
import type Database from 'better-sqlite3';

export interface Migration {
  /** 1, 2, 3 … without gaps, in the order they run. */
  version: number;
  /** What it changes, for the error that names a failed migration. */
  name: string;
  /** SQL to run, or a function for changes that need code (backfills). */
  up: string | ((db: Database.Database) => void);
}

/** The database was written by a newer version of this project: refuse it instead of guessing. */
export class SchemaTooNewError extends Error {}

export function latestVersion(migrations: readonly Migration[]): number {
  return migrations.length === 0 ? 0 : migrations[migrations.length - 1].version;
}

/** Brings `db` up to the newest of `migrations`; returns the versions before and after. */
export function migrate(db: Database.Database, migrations: readonly Migration[], what: string): { from: number; to: number } {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`${what}: migration ${m.name} is number ${m.version}, expected ${i + 1}`);
  });
  const from = db.pragma('user_version', { simple: true }) as number;
  const to = latestVersion(migrations);
  if (from > to) {
    throw new SchemaTooNewError(
      `The ${what} database is at schema version ${from}, newer than this version of the project knows (${to}). ` +
        'Run the newer version, or give this one its own data folder.',
    );
  }
  for (const m of migrations.slice(from)) {
    db.transaction(() => {
      if (typeof m.up === 'string') db.exec(m.up);
      else m.up(db);
      // PRAGMA takes no bound parameters; the version is an integer from the list above.
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return { from, to };
}
