// Each source's subscribe and re-query, as the hub builds and reads them, against the local fakes (which check the
// key or signature as the source does): accepted when signed right, refused when not, answers read back as updates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTrackingFake, type TrackingFake } from '../../src/sandbox/fakes/tracking.ts';
import { rebase, trackingAdapters, type TrackedParcel } from '../../src/modules/tracking/sources/registry.ts';
import type { OutboundRequest, TrackingSource } from '../../src/modules/tracking/sources/types.ts';
import { iso, kuaidi100QueryAnswer } from './tracking-support.ts';

const creds: Record<TrackingSource, Record<string, unknown>> = {
  kuaidi100: { key: 'k-1', salt: 's-1', customer: 'C-1' },
  aftership: { apiKey: 'as-1', webhookSecret: 'w-1' },
  track17: { securityKey: 'sk-1' },
};

describe('tracking sources against their fakes', () => {
  let fake: TrackingFake;
  beforeAll(async () => {
    fake = await startTrackingFake({ kuaidi100: { key: 'k-1', customer: 'C-1' }, aftership: { apiKey: 'as-1' }, track17: { securityKey: 'sk-1' } });
  });
  afterAll(async () => {
    await fake?.close();
  });

  const send = async (source: TrackingSource, req: OutboundRequest) => {
    const r = rebase(source, req, fake.apiBase(source));
    expect(r.url.startsWith(fake.url)).toBe(true);
    const res = await fetch(r.url, { method: r.method, headers: r.headers, ...(r.method === 'POST' ? { body: r.body } : {}) });
    return { status: res.status, body: await res.text() };
  };

  const at = Date.UTC(2026, 11, 1, 2, 0, 0);
  const answers: Record<TrackingSource, (n: string) => unknown> = {
    kuaidi100: (n) => kuaidi100QueryAnswer(n, '3', [{ at, context: '本人签收', statusCode: '301' }]),
    aftership: (n) => ({ id: 'x', tracking_number: n, slug: 'yto', tag: 'Delivered', subtag: 'Delivered_003', checkpoints: [{ checkpoint_time: iso(at), message: 'Signed', tag: 'Delivered', subtag: 'Delivered_003' }] }),
    track17: (n) => ({
      number: n,
      carrier: 190008,
      track_info: { latest_status: { status: 'Delivered', sub_status: 'Delivered_Other' }, tracking: { providers: [{ events: [{ time_utc: iso(at), description: 'Signed', sub_status: 'Delivered_Other' }] }] } },
    }),
  };

  it.each(['kuaidi100', 'aftership', 'track17'] as const)('%s: subscribe and re-query, signed, read back', async (source) => {
    const a = trackingAdapters[source];
    const parcel: TrackedParcel = { trackingNo: `N${source}1`, carrier: 'yuantong', ref: null };
    const sub = a.subscribeResult(...Object.values(await send(source, a.subscribeRequest(creds[source], parcel, 'http://127.0.0.1:1/hooks'))) as [number, string]);
    expect(sub.ok, sub.message).toBe(true);
    if (source === 'aftership') expect(sub.ref).toMatch(/^as/);
    fake.setAnswer(source, parcel.trackingNo, answers[source](parcel.trackingNo));
    const req = a.queryRequest(creds[source], { ...parcel, ref: sub.ref });
    expect(req).not.toBeNull();
    const answer = await send(source, req as OutboundRequest);
    const u = a.queryUpdate(answer.status, answer.body);
    expect(u?.trackingNumber).toBe(parcel.trackingNo);
    expect(u?.status).toBe('delivered');
    expect(u?.events.at(-1)?.at).toBe(at);
    expect(fake.requests.filter((r) => r.source === source).map((r) => [r.kind, r.signed])).toEqual([
      ['subscribe', true],
      ['query', true],
    ]);

    // The wrong key or signature is refused by the fake, and the hub reads the refusal as not subscribed / no news.
    const wrong = { ...creds[source], key: 'bad', customer: 'C-1', apiKey: 'bad', securityKey: 'bad' };
    expect(a.subscribeResult(...Object.values(await send(source, a.subscribeRequest(wrong, parcel, 'http://127.0.0.1:1/hooks'))) as [number, string]).ok).toBe(false);
    const badQuery = a.queryRequest(wrong, { ...parcel, ref: sub.ref });
    if (badQuery) {
      const bad = await send(source, badQuery);
      expect(a.queryUpdate(bad.status, bad.body)).toBeNull();
    }
  });
});
