// A tenant's tracking settings over real HTTP: the defaults until saved, a partial change saved with its audit row and
// event, every bad value refused with 400 naming it and nothing written — on SQLite, PostgreSQL and the SQLite writer
// thread (the production mode of `serve`).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackends } from '../support/backends.ts';
import { startServer, type TestServer } from '../support/server.ts';

interface SettingsBody {
  trustedGrades: string[];
  recheckCount: number;
  recheckIntervalMinutes: number;
  notReceivedWindowHours: number;
  noPickupHours: number;
  firstEventLateHours: number;
  firstEventEarlyHours: number;
  stuckHours: Record<string, number | null>;
  custom: boolean;
  updatedAt: string | null;
  updatedBy: string | null;
}
interface ErrorBody {
  error: { code: string; message: string; details?: { errors?: unknown[] } };
}

describe.each(httpBackends)('tracking settings over HTTP on $name', (backend) => {
  let s: TestServer;

  beforeAll(async () => {
    s = await startServer(backend);
  });
  afterAll(async () => {
    await s?.close();
  });

  const written = async () => ({
    audit: Number((await s.hub.db.read.get<{ c: number }>(`SELECT COUNT(*) AS c FROM audit_log WHERE action = 'tracking_settings.update'`))?.c ?? 0),
    events: Number((await s.hub.db.read.get<{ c: number }>(`SELECT COUNT(*) AS c FROM outbox WHERE type = 'tracking_settings.updated'`))?.c ?? 0),
    row: (await s.hub.db.read.get<{ settings: string; updated_at: number }>('SELECT settings, updated_at FROM tracking_settings')) ?? null,
  });

  it('shows the defaults until the tenant saves settings', async () => {
    const r = await s.api<SettingsBody>('GET', '/api/tracking/settings');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      trustedGrades: ['signature_or_otp', 'photo'],
      recheckCount: 3,
      recheckIntervalMinutes: 30,
      notReceivedWindowHours: 24,
      noPickupHours: 48,
      firstEventLateHours: 24,
      firstEventEarlyHours: 1,
      stuckHours: {
        info_received: 48,
        picked_up: 24,
        in_transit: 72,
        customs: 120,
        out_for_delivery: 24,
        available_for_pickup: 72,
        delivery_failed: 24,
        exception: 24,
        returning: 168,
        rejected: 48,
        unknown: 72,
      },
      custom: false,
      updatedAt: null,
      updatedBy: null,
    });
    expect(await written()).toEqual({ audit: 0, events: 0, row: null });
  });

  it('refuses every bad value with 400 naming it, and writes nothing', async () => {
    const bad: [unknown, string][] = [
      [{}, 'body'],
      [{ recheckIntervalMinutes: 0 }, 'recheckIntervalMinutes'],
      [{ recheckCount: 21 }, 'recheckCount'],
      [{ recheckCount: 2.5 }, 'recheckCount'],
      [{ noPickupHours: 'soon' }, 'noPickupHours'],
      [{ notReceivedWindowHours: -1 }, 'notReceivedWindowHours'],
      [{ firstEventLateHours: 100_000 }, 'firstEventLateHours'],
      [{ trustedGrades: ['scan_only'] }, 'trustedGrades'],
      [{ trustedGrades: ['photo'] }, 'trustedGrades'],
      [{ trustedGrades: [] }, 'trustedGrades'],
      [{ trustedGrades: ['signature_or_otp', 'signature_or_otp'] }, 'trustedGrades'],
      [{ trustedGrades: ['courier_said_so'] }, 'trustedGrades'],
      [{ stuckHours: { delivered: 5 } }, 'stuckHours'],
      [{ stuckHours: { in_transit: 0 } }, 'stuckHours'],
      [{ recheckCount: 2, surprise: true }, 'surprise'],
    ];
    for (const [body, names] of bad) {
      const r = await s.api<ErrorBody>('PUT', '/api/tracking/settings', body);
      expect(r.status, `${JSON.stringify(body)} → ${JSON.stringify(r.body)}`).toBe(400);
      expect(r.body.error.code).toBe('VALIDATION_FAILED');
      expect(`${r.body.error.message} ${JSON.stringify(r.body.error.details ?? '')}`, JSON.stringify(body)).toContain(names);
    }
    expect(await written()).toEqual({ audit: 0, events: 0, row: null });
    expect((await s.api<SettingsBody>('GET', '/api/tracking/settings')).body.custom).toBe(false);
  });

  it('saves the fields given, keeps the others, audits the change with an event', async () => {
    const r = await s.api<SettingsBody>('PUT', '/api/tracking/settings', {
      recheckCount: 2,
      recheckIntervalMinutes: 15,
      trustedGrades: ['photo', 'signature_or_otp', 'locker_or_station'],
      stuckHours: { in_transit: 96, unknown: null },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({
      recheckCount: 2,
      recheckIntervalMinutes: 15,
      // Kept in strength order whatever order they were given in.
      trustedGrades: ['signature_or_otp', 'photo', 'locker_or_station'],
      notReceivedWindowHours: 24,
      noPickupHours: 48,
      custom: true,
    });
    expect(r.body.stuckHours).toMatchObject({ in_transit: 96, unknown: null, customs: 120 });
    expect(r.body.updatedBy).toBeTruthy();
    expect(Date.parse(r.body.updatedAt ?? '')).toBeGreaterThan(Date.now() - 60_000);
    expect((await s.api<SettingsBody>('GET', '/api/tracking/settings')).body).toEqual(r.body);
    let w = await written();
    expect(w).toMatchObject({ audit: 1, events: 1 });

    const second = await s.api<SettingsBody>('PUT', '/api/tracking/settings', { noPickupHours: 36 });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ noPickupHours: 36, recheckCount: 2, recheckIntervalMinutes: 15, trustedGrades: ['signature_or_otp', 'photo', 'locker_or_station'] });
    w = await written();
    expect(w).toMatchObject({ audit: 2, events: 2 });

    // A refused change after a saved one leaves the saved one as it was.
    const refused = await s.api<ErrorBody>('PUT', '/api/tracking/settings', { noPickupHours: 12, recheckIntervalMinutes: 0 });
    expect(refused.status).toBe(400);
    expect(await written()).toEqual(w);
    expect((await s.api<SettingsBody>('GET', '/api/tracking/settings')).body.noPickupHours).toBe(36);
  });

  it('the audit trail names what changed', async () => {
    const r = await s.api<{ items: { action: string; detail?: unknown; after?: unknown }[] }>('GET', '/api/audit?action=tracking_settings.update');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const mine = r.body.items.filter((i) => i.action === 'tracking_settings.update');
    expect(mine).toHaveLength(2);
    expect(JSON.stringify(mine)).toContain('noPickupHours');
  });
});
