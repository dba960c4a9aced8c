// Group commit (src/platform/db/group-commit.ts): many deliveries share one transaction, and one that cannot be stored
// never takes the others down with it — whether it fails in its own work or in what the batch does for all of them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/platform/db/database.ts';
import { GroupCommitter } from '../../src/platform/db/group-commit.ts';
import { createLogger } from '../../src/platform/log.ts';
import { allBackends } from '../support/backends.ts';
import { sqliteFileFor } from '../../src/app/hub.ts';

describe.each(allBackends)('group commit on $name', (backend) => {
  let db: Database;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const place = await backend.fresh();
    cleanup = place.cleanup;
    db = await openDatabase(
      place.config.databaseUrl ? { databaseUrl: place.config.databaseUrl, ...(place.pgSchema ? { pgSchema: place.pgSchema } : {}) } : { sqliteFile: sqliteFileFor(place.config) },
    );
    await db.transaction((tx) => tx.run('CREATE TABLE landed (item TEXT PRIMARY KEY)'));
  });
  afterAll(async () => {
    await db?.close();
    await cleanup?.();
  });

  const committer = (beforeBatch?: (items: string[]) => void) =>
    new GroupCommitter<string, string>(
      db,
      async (tx, item) => {
        if (item.startsWith('throws')) throw new Error(`cannot store ${item}`);
        await tx.run('INSERT INTO landed (item) VALUES (?)', [item]);
        return item;
      },
      { maxBatch: 64, lanes: 1, maxQueue: 100, ...(beforeBatch ? { beforeBatch: async (_tx, items) => beforeBatch(items as string[]) } : {}) },
      createLogger('silent'),
    );
  const landed = async (prefix: string) => (await db.read.all<{ item: string }>('SELECT item FROM landed WHERE item LIKE ? ORDER BY item', [`${prefix}%`])).map((r) => r.item);

  it('answers every item of a batch on its own when one fails in its own work', async () => {
    const g = committer();
    const r = await Promise.allSettled(['w1', 'throws-w', 'w2'].map((i) => g.submit(i)));
    expect(r.map((x) => x.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await landed('w')).toEqual(['w1', 'w2']);
    expect(g.stats.isolatedReruns).toBe(1);
  });

  it('answers every item on its own when what the batch does first fails because of one of them', async () => {
    // The batch's up-front work (a lock of every row the batch names) refusing one item's value: before, the whole
    // batch was answered with that error.
    const g = committer((items) => {
      if (items.includes('poison')) throw new Error('a value the database refuses');
    });
    const r = await Promise.allSettled(['b1', 'poison', 'b2'].map((i) => g.submit(i)));
    expect(r.map((x) => x.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await landed('b')).toEqual(['b1', 'b2']);
  });
});
