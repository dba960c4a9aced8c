// Notes when an API token was last used.
import type { PeopleDeps } from '../deps.ts';

/** Last-used time of a token (the caller throttles this to once a minute per token). */
export async function touchToken(deps: PeopleDeps, id: string, at = Date.now()): Promise<void> {
  await deps.db.transaction((tx) => tx.run('UPDATE api_tokens SET last_used_at = ? WHERE id = ?', [at, id]));
}
