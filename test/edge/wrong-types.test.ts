// Generated from the route table: every property of every /api body, sent each JSON type it does not take (null,
// boolean, number, string, array, object), is refused with 400 VALIDATION_FAILED naming that property — never
// converted (null → 0, true → 1, [9] → 9, 7 → "7") — and nothing is written.
import { Value } from '@sinclair/typebox/value';
import type { TSchema } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allBackends } from '../support/backends.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { buildApp, type RouteEntry } from '../../src/app/http/app.ts';

interface Schema {
  type?: string | string[];
  anyOf?: Schema[];
  const?: unknown;
  default?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  minItems?: number;
  minLength?: number;
  minimum?: number;
  maximum?: number;
}

/** The JSON types a schema takes; empty: anything. */
function kinds(s: Schema, out = new Set<string>()): Set<string> {
  if (typeof s.type === 'string') out.add(s.type);
  else if (Array.isArray(s.type)) for (const t of s.type) out.add(t);
  if (s.const !== undefined) out.add(s.const === null ? 'null' : typeof s.const);
  for (const b of s.anyOf ?? []) kinds(b, out);
  if (out.has('integer')) out.add('number');
  return out;
}

// Strings the patterns of the API take (codes, times, URLs …): the first one a schema accepts is its sample.
const candidates = ['WH1', 'A1', 'sample', 'ops_role', '2026-11-22T10:00:00+08:00', 'https://example.com/hook', 'CNY', 'SF123', 'xxxxxxxxxxxxxxxxxxxxxxxx'];

/** A value the schema accepts, with every optional property present (so that each can be probed in place). */
function sample(s: Schema): unknown {
  if (s.default !== undefined) return s.default;
  if (s.const !== undefined) return s.const;
  if (s.anyOf) return sample(s.anyOf.find((b) => b.type !== 'null') ?? (s.anyOf[0] as Schema));
  switch (Array.isArray(s.type) ? s.type[0] : s.type) {
    case 'string': {
      const fits = candidates.find((c) => Value.Check(s as TSchema, c));
      return fits ?? 'x'.repeat(Math.max(1, s.minLength ?? 1));
    }
    case 'integer':
    case 'number':
      return Math.max(s.minimum ?? 1, Math.min(1, s.maximum ?? 1));
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'array':
      return Array.from({ length: Math.max(1, s.minItems ?? 0) }, () => sample(s.items ?? {}));
    case 'object':
      return Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, p]) => [k, sample(p)]));
    default:
      return 'x';
  }
}

/** Every property inside a body schema, with its JSON path from the body (arrays: their first item). */
function properties(s: Schema, path: (string | number)[] = []): { path: (string | number)[]; schema: Schema }[] {
  const out: { path: (string | number)[]; schema: Schema }[] = [];
  const objectBranch = s.type === 'object' ? s : s.anyOf?.find((b) => b.type === 'object' && b.properties);
  const arrayBranch = s.type === 'array' ? s : s.anyOf?.find((b) => b.type === 'array');
  // Properties inside a union are probed only when the union has one branch of that shape (the sample takes it).
  const sampled = s.anyOf ? (s.anyOf.find((b) => b.type !== 'null') ?? s.anyOf[0]) : s;
  if (objectBranch?.properties && sampled === objectBranch) {
    for (const [k, p] of Object.entries(objectBranch.properties)) {
      out.push({ path: [...path, k], schema: p }, ...properties(p, [...path, k]));
    }
  }
  if (arrayBranch?.items && sampled === arrayBranch) out.push(...properties(arrayBranch.items, [...path, 0]));
  return out;
}

const wrongValues: [string, unknown][] = [
  ['null', null],
  ['boolean', true],
  ['number', 7],
  ['string', '7'],
  ['array', [7]],
  ['object', {}],
];

function setAt(body: unknown, path: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(body) as Record<string | number, unknown>;
  let at = copy;
  for (const k of path.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
  at[path[path.length - 1] as string | number] = value;
  return copy;
}

const backend = allBackends[0];

describe(`wrong JSON types in /api bodies (generated from the route table) on ${backend?.name}`, () => {
  let s: TestServer;
  let routes: RouteEntry[];

  beforeAll(async () => {
    // Sign-in is rate-limited before its body is read; the probes are many.
    s = await startServer(backend as NonNullable<typeof backend>, { signInPerMinute: 100_000 });
    const app = await buildApp(s.hub);
    routes = app.routeTable.filter((r) => r.url.startsWith('/api/') && r.schema.body !== undefined);
    await app.close();
  });
  afterAll(async () => {
    await s?.close();
  });

  /** Rows every write leaves behind: an audit entry or an outbox event, and the tables the probes aim at. */
  const written = async () => {
    const out: Record<string, number> = {};
    for (const t of ['audit_log', 'outbox', 'stock', 'skus', 'warehouses', 'users', 'roles', 'channel_accounts', 'webhook_endpoints', 'sku_aliases', 'sku_traits', 'api_tokens']) {
      out[t] = Number((await s.hub.db.read.get<{ c: number }>(`SELECT COUNT(*) AS c FROM ${t}`))?.c ?? 0);
    }
    return out;
  };

  it('covers every /api route with a body', () => {
    expect(routes.length).toBeGreaterThan(30);
  });

  it('refuses each wrong type of each body property with 400 naming it, and writes nothing', async () => {
    const before = await written();
    const stock = await s.api('GET', '/api/stock/A1');
    const accepted: string[] = [];
    let probes = 0;
    for (const r of routes) {
      const params = sample((r.schema.params ?? { type: 'object', properties: {} }) as Schema) as Record<string, unknown>;
      const url = r.url.replace(/:(\w+)/g, (_m, name: string) => encodeURIComponent(String(params[name])));
      const query = sample((r.schema.querystring ?? { type: 'object', properties: {} }) as Schema) as Record<string, unknown>;
      const qs = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString();
      const body = sample(r.schema.body as Schema);
      for (const { path, schema } of properties(r.schema.body as Schema)) {
        const takes = kinds(schema);
        if (takes.size === 0) continue; // Unknown: any JSON is this property's value
        for (const [kind, value] of wrongValues) {
          if (takes.has(kind)) continue;
          probes++;
          const res = await fetch(`${s.url}${url}${qs ? `?${qs}` : ''}`, {
            method: r.method,
            headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
            body: JSON.stringify(setAt(body, path, value)),
          });
          const answer = (await res.json()) as { error?: { code: string; details?: { errors?: { path: string }[] } } };
          const where = `body/${path.join('/')}`;
          const ok = res.status === 400 && answer.error?.code === 'VALIDATION_FAILED' && answer.error.details?.errors?.[0]?.path === where;
          if (!ok) accepted.push(`${r.method} ${r.url} ${where} = ${JSON.stringify(value)} (${kind}) → ${res.status} ${JSON.stringify(answer).slice(0, 160)}`);
        }
      }
    }
    console.info(`${probes} wrong-type probes over ${routes.length} routes`);
    expect(probes).toBeGreaterThan(150);
    expect(accepted, accepted.join('\n')).toEqual([]);
    expect(await written()).toEqual(before);
    expect(await s.api('GET', '/api/stock/A1')).toEqual(stock);
  });

  it('refuses the measured cases: null, true and [9] as a stock count', async () => {
    for (const onHand of [null, true, [9], '9']) {
      const r = await s.api<{ error: { code: string } }>('PUT', '/api/stock/PROBE-1', { warehouse: 'WH1', onHand, reason: 'test count' });
      expect(r.status, JSON.stringify(onHand)).toBe(400);
      expect(r.body.error.code).toBe('VALIDATION_FAILED');
    }
    expect((await s.api('GET', '/api/stock/PROBE-1')).status).toBe(404);
  });
});
