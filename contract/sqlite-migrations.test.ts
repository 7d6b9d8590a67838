// @vitest-environment node
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, SchemaTooNewError, type Migration } from './sqlite-migrations.ts';

const MIGRATIONS: Migration[] = [
  { version: 1, name: 'items', up: 'CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)' },
  { version: 2, name: 'item sizes', up: 'ALTER TABLE items ADD COLUMN size INTEGER NOT NULL DEFAULT 0' },
  {
    version: 3,
    name: 'sizes from names',
    up: (db) => {
      db.prepare('UPDATE items SET size = length(name)').run();
    },
  },
];

describe('migrate', () => {
  it('runs every migration on a new database and records the newest version', () => {
    const db = new Database(':memory:');
    expect(migrate(db, MIGRATIONS, 'test')).toEqual({ from: 0, to: 3 });
    expect(db.pragma('user_version', { simple: true })).toBe(3);
    db.prepare("INSERT INTO items (name) VALUES ('four')").run();
    expect(db.prepare('SELECT size FROM items').get()).toEqual({ size: 0 });
  });

  it('runs only the migrations newer than the database, keeping its rows', () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS.slice(0, 1), 'test');
    db.prepare("INSERT INTO items (name) VALUES ('photo.png')").run();
    expect(migrate(db, MIGRATIONS, 'test')).toEqual({ from: 1, to: 3 });
    expect(db.prepare('SELECT name, size FROM items').get()).toEqual({ name: 'photo.png', size: 9 });
    expect(migrate(db, MIGRATIONS, 'test')).toEqual({ from: 3, to: 3 });
  });

  it('leaves the database at the last good version when a migration fails', () => {
    const db = new Database(':memory:');
    const broken: Migration[] = [
      ...MIGRATIONS.slice(0, 1),
      { version: 2, name: 'half done', up: "ALTER TABLE items ADD COLUMN size INTEGER; SELECT * FROM no_such_table" },
    ];
    expect(() => migrate(db, broken, 'test')).toThrow(/no_such_table/);
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    const columns = db.prepare("SELECT name FROM pragma_table_info('items')").all();
    expect(columns).toEqual([{ name: 'id' }, { name: 'name' }]);
  });

  it('refuses a database written by a newer version', () => {
    const db = new Database(':memory:');
    db.pragma('user_version = 7');
    expect(() => migrate(db, MIGRATIONS, 'test')).toThrow(SchemaTooNewError);
    expect(() => migrate(db, MIGRATIONS, 'test')).toThrow(/version 7, newer .* \(3\)/);
  });

  it('refuses a list with a gap in its numbers', () => {
    const db = new Database(':memory:');
    expect(() => migrate(db, [MIGRATIONS[0], MIGRATIONS[2]], 'test')).toThrow(/expected 2/);
  });
});
