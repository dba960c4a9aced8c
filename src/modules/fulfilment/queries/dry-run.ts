// A routing dry run: the plans a run would commit now and the problems it would meet, written nowhere.
import type { Principal } from '../../../kernel/principal.ts';
import type { RoutingDeps } from '../deps.ts';
import type { RoutingOutcome, RoutingRequest } from '../routing/views.ts';
import { prepare } from '../routing/world.ts';

/** A plan and its problems, written nowhere. With `plans`, checks those (e.g. reviewed earlier) against the world now. */
export async function routingDryRun(deps: RoutingDeps, who: Principal, input: RoutingRequest, now = Date.now()): Promise<RoutingOutcome> {
  // Only the outcome: the order rows and the planner's orders (decrypted addresses included) stay inside the module.
  const { plans, unplanned, problems, committed } = await prepare(deps, deps.db.read, who, input, now, false);
  return { plans, unplanned, problems, committed };
}
