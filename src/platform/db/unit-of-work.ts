// A whole write transaction run again when the database says it may be (PostgreSQL deadlock, serialisation failure,
// a unique key another writer took first); SQLite's single writer never asks.
import type { Database, Tx } from './database.ts';

export async function transactionWithRetry<T>(db: Database, fn: (tx: Tx) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(fn);
    } catch (e) {
      if (attempt >= attempts || !db.isRetryable(e)) throw e;
    }
  }
}
