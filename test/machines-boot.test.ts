// The hub refuses to start on a malformed machine, or one naming an effect nobody implements, before it touches the database.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startHub, sqliteFileFor } from '../src/app/hub.ts';
import { hubMachines } from '../src/app/machines.ts';
import type { AnyMachineDefinition, MachineEntry } from '../src/kernel/machine.ts';
import { shipmentMachine } from '../src/modules/fulfilment/domain/shipment-machine.ts';
import { createLogger } from '../src/platform/log.ts';
import { backends } from './support/backends.ts';

const [sqlite] = await backends();
const places: { cleanup: () => Promise<void> }[] = [];
afterAll(async () => {
  for (const p of places) await p.cleanup();
});

/** The hub's machines with one replaced. */
function withMachine(name: string, machine: AnyMachineDefinition, effects: MachineEntry['effects'] = null): MachineEntry[] {
  return hubMachines.map((e) => (e.machine.name === name ? { machine, effects } : e));
}

describe('starting the hub', () => {
  it('refuses a shipment machine with a state nothing reaches, naming the machine and the state; no database is created', async () => {
    const place = await sqlite!.fresh();
    places.push(place);
    // "returned" is declared but the transition into it is gone: an island no shipment can ever be in.
    const island = {
      ...shipmentMachine,
      states: { ...shipmentMachine.states, shipped: { ...shipmentMachine.states.shipped, to: shipmentMachine.states.shipped.to.filter((r) => r.to !== 'returned') } },
    } as unknown as AnyMachineDefinition;
    const started = startHub(place.config, createLogger('silent'), { workers: false, machines: withMachine('shipment', island) });
    await expect(started).rejects.toThrow(/state machines are invalid:\n- shipment: returned cannot be reached from planned/);
    expect(existsSync(sqliteFileFor(place.config))).toBe(false);
    expect(readdirSync(place.config.dataDir)).toEqual([]);
  });

  it('refuses a machine that names an effect with no implementation', async () => {
    const place = await sqlite!.fresh();
    places.push(place);
    const order = hubMachines.find((e) => e.machine.name === 'order') as MachineEntry;
    const { reopen: _reopen, ...effects } = order.effects as Record<string, unknown>;
    await expect(startHub(place.config, createLogger('silent'), { workers: false, machines: withMachine('order', order.machine, effects) })).rejects.toThrow(
      /order: effect "reopen" \(cancelled → paid\) has no implementation/,
    );
    expect(existsSync(join(place.config.dataDir, 'orderhub.db'))).toBe(false);
  });

  it('starts with the machines as they are', async () => {
    const place = await sqlite!.fresh();
    places.push(place);
    const hub = await startHub(place.config, createLogger('silent'), { workers: false });
    await hub.close();
    expect(existsSync(sqliteFileFor(place.config))).toBe(true);
  });
});
