// The event catalogue: every event the hub emits is in it (and nothing else), payloads type-checked, NATS subjects, the document.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventCatalogue, eventTypes, isEventType, subjectFor, type EventType, type HubEvent } from '../../src/kernel/events.ts';
import { HubError } from '../../src/kernel/errors.ts';

const root = join(import.meta.dirname, '..', '..');
const docFile = join(root, 'docs', 'events.md');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** docs/events.md as the catalogue says it should read. */
function renderEventsDoc(): string {
  const out: string[] = [
    '# Events',
    '',
    '<!-- Generated from src/kernel/events.ts by test/domain/events.test.ts: ORDERHUB_WRITE_DOCS=1 npx vitest run test/domain/events.test.ts -->',
    '',
    'Every state change the hub makes appends an event to its outbox in the same transaction. The relay hands them to',
    'in-process subscribers and to outbound webhooks (`POST /api/webhooks` with `events`: names from this list, or `["*"]`;',
    'an unknown name is refused with `400 VALIDATION_FAILED` listing the known ones). Delivery is at least once: dedupe on',
    '`X-Orderhub-Event-Id`. A webhook body is `{id, type, createdAt, data}` with the payload below as `data`. Money is',
    'integer minor units; times in payloads are epoch milliseconds unless the field says ISO.',
    '',
    'Each event also has its NATS subject, `orderhub.<tenant>.<event type>` (e.g. `orderhub.acme.order.status_changed`;',
    'not published yet).',
    '',
    '| event | aggregate | what happened |',
    '|---|---|---|',
    ...eventTypes.map((t) => `| [\`${t}\`](#${t.replace(/[^a-z0-9_-]/g, '')}) | ${eventCatalogue[t].aggregate} | ${eventCatalogue[t].about} |`),
    '',
  ];
  for (const t of eventTypes) {
    const spec = eventCatalogue[t];
    out.push(`## ${t}`, '', `${spec.about} Aggregate: \`${spec.aggregate}\`.`, '', '| field | meaning |', '|---|---|');
    for (const [field, meaning] of Object.entries(spec.fields as Record<string, string>)) out.push(`| \`${field}\` | ${meaning} |`);
    out.push('');
  }
  return out.join('\n');
}

describe('the event catalogue', () => {
  it('names every event the hub appends, and nothing it never appends', () => {
    const code = sources(join(root, 'src'))
      .filter((f) => !f.endsWith(join('kernel', 'events.ts')))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    // Every literal event type in an appendEvent call is checked by the compiler; here, the other way round.
    const dead = eventTypes.filter((t) => !code.includes(`'${t}'`));
    expect(dead).toEqual([]);
    expect(eventTypes.length).toBe(57);
  });

  it('names the aggregate each appendEvent call gives its event', () => {
    const seen: { type: string; aggregate: string }[] = [];
    for (const f of sources(join(root, 'src'))) {
      for (const m of readFileSync(f, 'utf8').matchAll(/type:\s*([^,]+?),\s*aggregateType:\s*'([a-z_]+)'/g)) {
        for (const t of (m[1] ?? '').matchAll(/'([a-z_]+\.[a-z_]+)'/g)) seen.push({ type: t[1] as string, aggregate: m[2] as string });
      }
    }
    expect(seen.length).toBeGreaterThan(40);
    const wrong = seen.filter((s) => !isEventType(s.type) || eventCatalogue[s.type].aggregate !== s.aggregate);
    expect(wrong).toEqual([]);
  });

  it('gives every event an aggregate, a sentence and a meaning for each payload field', () => {
    for (const t of eventTypes) {
      const spec = eventCatalogue[t];
      expect(spec.aggregate, t).toMatch(/^[a-z_]+$/);
      expect(spec.about.length, t).toBeGreaterThan(5);
      for (const [field, meaning] of Object.entries(spec.fields as Record<string, string>)) expect(meaning.trim(), `${t}.${field}`).not.toBe('');
    }
  });

  it('refuses, at compile time, a payload that does not match its event', () => {
    const ok: HubEvent<'wave.created'> = { tenantId: 't', type: 'wave.created', aggregateType: 'wave', aggregateId: 'W1', at: 1, payload: { waveId: 'W1', warehouse: 'WH1', shipmentIds: [] } };
    // @ts-expect-error shipmentIds is missing
    const missing: HubEvent<'wave.created'> = { ...ok, payload: { waveId: 'W1', warehouse: 'WH1' } };
    // @ts-expect-error a field the event does not have
    const extra: HubEvent<'wave.created'> = { ...ok, payload: { waveId: 'W1', warehouse: 'WH1', shipmentIds: [], orderId: 'x' } };
    // @ts-expect-error not an event of the catalogue
    const unknown: HubEvent<'wave.deleted'> = { ...ok, type: 'wave.deleted' };
    expect([ok, missing, extra, unknown].length).toBe(4);
  });

  it('tells an event type from anything else', () => {
    expect(isEventType('order.created')).toBe(true);
    expect(isEventType('order.create')).toBe(false);
    expect(isEventType('toString')).toBe(false);
    expect(isEventType('*')).toBe(false);
  });

  it('offers the NATS subject of an event, and refuses a tenant that cannot be a subject token', () => {
    expect(subjectFor('acme', 'order.status_changed')).toBe('orderhub.acme.order.status_changed');
    expect(subjectFor('default', 'shipment.delivered')).toBe('orderhub.default.shipment.delivered');
    for (const bad of ['a.b', 'a b', '*', '>', '']) {
      expect(() => subjectFor(bad, 'order.created'), bad).toThrow(HubError);
    }
    expect(() => subjectFor('acme', 'order.nope' as EventType)).toThrow(/unknown event type/);
  });

  it('is documented in docs/events.md exactly as the catalogue says', () => {
    const expected = renderEventsDoc();
    if (process.env.ORDERHUB_WRITE_DOCS === '1') writeFileSync(docFile, expected);
    let actual = '';
    try {
      actual = readFileSync(docFile, 'utf8');
    } catch {
      // compared below: an absent document fails like a stale one
    }
    expect(actual, 'docs/events.md is stale: ORDERHUB_WRITE_DOCS=1 npx vitest run test/domain/events.test.ts').toBe(expected);
  });
});
