// What a payment account must satisfy to be saved: a supported provider with complete credentials, and only shops
// (channel accounts) the tenant has.
import { HubError } from '../../kernel/errors.ts';
import type { Tx } from '../../platform/db/database.ts';
import { channelAccountExists } from '../channels/queries/accounts.ts';
import { providerFor, paymentProviders } from './providers/registry.ts';

export function checkCredentials(provider: string, credentials: unknown): void {
  const p = providerFor(provider);
  if (!p) throw new HubError('PLATFORM_NOT_SUPPORTED', `payment provider "${provider}" is not supported`, { supported: paymentProviders });
  const problems = p.credentialProblems(credentials);
  if (problems.length) throw new HubError('VALIDATION_FAILED', problems.join('; '), { errors: problems });
}

export async function checkChannels(tx: Tx, tenantId: string, ids: readonly string[]): Promise<string[]> {
  const unique = [...new Set(ids)].sort();
  for (const id of unique) {
    if (!(await channelAccountExists(tx, tenantId, id))) throw new HubError('ACCOUNT_NOT_FOUND', `channel account ${id} does not exist`);
  }
  return unique;
}
