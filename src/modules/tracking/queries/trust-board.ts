// The trust board: how often each carrier (and each delivering outlet) delivers with proof the tenant trusts.
import { isTrusted, type DeliveryTrustGrade } from '../domain/delivery-trust.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { shipmentScopeSql } from '../../../kernel/scope.ts';
import type { TrackingDeps } from '../deps.ts';
import { isGrade } from '../store/tracked-shipments.ts';
import { trustPolicyIn } from './policies.ts';

export interface TrustRow {
  delivered: number;
  trusted: number;
  trustRate: number;
  byGrade: Record<DeliveryTrustGrade, number>;
}

/** Trust rate per carrier and per delivering outlet over the last `days` days of deliveries. */
export async function trustBoard(
  deps: TrackingDeps,
  who: Principal,
  days: number,
  now = Date.now(),
): Promise<{ carriers: (TrustRow & { carrier: string })[]; outlets: (TrustRow & { outlet: string; carrier: string })[] }> {
  const policy = await trustPolicyIn(deps, deps.db.read, who.tenantId);
  // Counted over the shipments the principal's scope sees.
  const f = shipmentScopeSql(who.scope, 'shipments');
  const rows = await deps.db.read.all<{ carrier: string | null; outlet: string | null; grade: string; c: number }>(
    `SELECT carrier, delivery_outlet AS outlet, trust_grade AS grade, COUNT(*) AS c FROM shipments
       WHERE tenant_id = ? AND trust_grade IS NOT NULL AND carrier_delivered_at >= ? AND ${f.text} GROUP BY carrier, delivery_outlet, trust_grade`,
    [who.tenantId, now - days * 86_400_000, ...f.params],
  );
  const tally = (key: (r: (typeof rows)[number]) => string) => {
    const m = new Map<string, TrustRow>();
    for (const r of rows) {
      if (!isGrade(r.grade)) continue;
      const k = key(r);
      const t = m.get(k) ?? { delivered: 0, trusted: 0, trustRate: 0, byGrade: { signature_or_otp: 0, photo: 0, locker_or_station: 0, scan_only: 0 } };
      const c = Number(r.c);
      t.delivered += c;
      if (isTrusted(r.grade, policy)) t.trusted += c;
      t.byGrade[r.grade] += c;
      t.trustRate = t.delivered ? t.trusted / t.delivered : 0;
      m.set(k, t);
    }
    return [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  };
  return {
    carriers: tally((r) => r.carrier ?? 'unknown').map(([carrier, t]) => ({ carrier, ...t })),
    // An outlet is a place of one carrier: two carriers' stations of the same name are two rows.
    outlets: tally((r) => JSON.stringify([r.outlet ?? 'unknown', r.carrier ?? 'unknown'])).map(([key, t]) => {
      const [outlet, carrier] = JSON.parse(key) as [string, string];
      return { outlet, carrier, ...t };
    }),
  };
}
