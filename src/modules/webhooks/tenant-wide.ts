// The one rule every endpoint use case keeps: webhooks are for principals who may see the whole organisation.
import { HubError } from '../../kernel/errors.ts';
import type { Principal } from '../../kernel/principal.ts';
import { isUnlimited } from '../../kernel/scope.ts';

/**
 * An endpoint receives every event of the tenant, whatever shop, province or warehouse it is about: registering,
 * listing, removing one or reading its deliveries needs an unlimited data scope.
 */
export function tenantWide(who: Principal): void {
  if (!isUnlimited(who.scope)) {
    throw new HubError('FORBIDDEN', `webhooks carry every event of the organisation; ${who.name} has a limited data scope`, { scope: who.scope });
  }
}
