// Module boundaries: each table belongs to one capability module, and no module reaches into another's tables — it
// calls that module's store, query or use case instead. The scan reads every SQL statement in src/modules (string
// SQL and Kysely calls) and names the tables each module touches; a new reach into another module's table fails here.
// The few that remain are listed below, each with the reason it stays.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { migrations, renderDdl } from '../../src/platform/db/migrate.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Every table and the module that owns it (`platform`: the machinery beneath every module). */
const owner: Record<string, string> = {
  orders: 'orders',
  order_lines: 'orders',
  order_history: 'orders',
  order_notes: 'orders',
  stock: 'inventory',
  skus: 'inventory',
  sku_aliases: 'inventory',
  reservations: 'inventory',
  channel_accounts: 'channels',
  raw_events: 'channels',
  pull_state: 'channels',
  pull_log: 'channels',
  contract_shapes: 'channels',
  outbound_calls: 'channels',
  listings: 'channels',
  stock_allocation: 'inventory',
  stock_exclusive: 'inventory',
  bundle_components: 'inventory',
  stock_movements: 'inventory',
  listing_pulls: 'channels',
  platform_calls: 'channels',
  channel_alerts: 'health',
  payment_accounts: 'payments',
  payment_notices: 'payments',
  refunds: 'payments',
  payment_exceptions: 'payments',
  warehouses: 'fulfilment',
  sku_traits: 'fulfilment',
  routing_rules: 'fulfilment',
  dispatch_plans: 'fulfilment',
  waves: 'fulfilment',
  shipments: 'fulfilment',
  shipment_lines: 'fulfilment',
  wms_accounts: 'fulfilment',
  waybill_accounts: 'fulfilment',
  waybills: 'fulfilment',
  waybill_documents: 'fulfilment',
  wms_pushes: 'fulfilment',
  tracking_accounts: 'tracking',
  tracking_pushes: 'tracking',
  tracking_events: 'tracking',
  tracking_settings: 'tracking',
  aftersale_cases: 'tracking',
  users: 'access',
  roles: 'access',
  sessions: 'access',
  api_tokens: 'access',
  audit_log: 'access',
  audit_heads: 'access',
  approvals: 'access',
  webhook_endpoints: 'webhooks',
  webhook_deliveries: 'webhooks',
  outbox: 'platform',
  outbox_cursors: 'platform',
  timers: 'platform',
  sequences: 'platform',
  settings: 'platform',
  job_leases: 'platform',
  schema_migrations: 'platform',
};

/**
 * The reaches that remain, as "module -> table": each with why. An entry that no longer occurs fails the test too, so
 * this list only ever shrinks to what is true.
 */
const allowed: Record<string, string> = {
  // Tracking state lives on the shipment row (migration 011 added the tracking columns there): tracking owns those
  // columns and moves `state` only through the shipment machine of fulfilment/domain. One table, two owners, stated.
  'tracking -> shipments': 'the tracking columns of a shipment',
  'tracking -> shipment_lines': 'which orders a tracked parcel carries (read)',
  // Taking stock picks the warehouse by its priority inside the one conditional UPDATE that cannot oversell: it must
  // stay one statement.
  'inventory -> warehouses': 'warehouse priority inside the atomic take',
};

const sqlTable = /\b(?:FROM|JOIN|UPDATE|INTO|DELETE\s+FROM)\s+([a-z_]+)|(?:selectFrom|updateTable|insertInto|deleteFrom)\(\s*'([a-z_]+)'/gi;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** "module -> table" for every table of another module a module's code names in SQL, with where. */
function reaches(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const modulesDir = join(root, 'src/modules');
  for (const mod of readdirSync(modulesDir)) {
    for (const file of filesUnder(join(modulesDir, mod))) {
      // Comments name tables in prose; only code counts.
      const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
      for (const m of code.matchAll(sqlTable)) {
        const table = (m[1] ?? m[2] ?? '').toLowerCase();
        const o = owner[table];
        if (!o || o === mod || o === 'platform') continue;
        const key = `${mod} -> ${table}`;
        out.set(key, (out.get(key) ?? new Set()).add(relative(root, file)));
      }
    }
  }
  return out;
}

describe('module boundaries', () => {
  it('knows the owner of every table the migrations create', () => {
    const created = new Set<string>();
    for (const m of migrations) for (const t of renderDdl(m.ddl, 'postgres').join('\n').matchAll(/CREATE TABLE (?:IF NOT EXISTS )?([a-z_]+)/gi)) created.add((t[1] as string).toLowerCase());
    // Tables made to copy rows while a migration rebuilds one are gone by its end.
    const unowned = [...created].filter((t) => !owner[t] && !/_before_\d+$/.test(t));
    expect(unowned, 'give each new table an owner above').toEqual([]);
  });

  it('lets no module reach into another module’s tables, but for the reaches stated with their reason', () => {
    const found = reaches();
    const unexpected = [...found].filter(([k]) => !(k in allowed)).map(([k, files]) => `${k} (${[...files].join(', ')})`);
    expect(unexpected, 'call the owning module’s store or query instead (or state the reason above)').toEqual([]);
    const stale = Object.keys(allowed).filter((k) => !found.has(k));
    expect(stale, 'these reaches are gone: take them off the list').toEqual([]);
  });
});
