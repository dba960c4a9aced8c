// Every machine of the hub: each declared transition possible, each other one refused, guards' reasons, effects, the defects validation catches.
import { describe, expect, it } from 'vitest';
import { hubMachines } from '../../src/app/machines.ts';
import { HubError } from '../../src/kernel/errors.ts';
import {
  check,
  defineMachine,
  validateMachine,
  validateMachines,
  type AnyMachineDefinition,
  type MachineDefinition,
  type StateDefinition,
} from '../../src/kernel/machine.ts';
import { orderMachine, orderStatuses, type GuardContext } from '../../src/modules/orders/domain/machine.ts';
import { orderEffects } from '../../src/modules/orders/lifecycle.ts';
import { orderReservationMachine, reservationMachine, type OrderReservationContext } from '../../src/modules/inventory/domain/reservation-machine.ts';
import { shipmentMachine, type ShipmentContext } from '../../src/modules/fulfilment/domain/shipment-machine.ts';
import { refundMachine, type RefundContext } from '../../src/modules/payments/domain/refund-machine.ts';
import { refundEffects } from '../../src/modules/payments/refunds.ts';
import { paymentExceptionMachine } from '../../src/modules/payments/domain/payment-exception-machine.ts';
import { caseMachine } from '../../src/modules/tracking/domain/case-machine.ts';

function refusal(fn: () => unknown): HubError | null {
  try {
    fn();
    return null;
  } catch (e) {
    if (e instanceof HubError) return e;
    throw e;
  }
}

/**
 * The contexts each machine's guards may see. A declared transition must pass for at least one of them (it can happen);
 * an undeclared one must be refused for all of them, as TRANSITION_NOT_ALLOWED (not a guard's refusal).
 */
const orderContexts: GuardContext[] = (['platform', 'operator', 'system'] as const).flatMap((source) =>
  [null, 'payment_timeout', 'platform'].map((cancelCause) => ({ source, holdCode: null, cancelCause, totalAmount: 100, paidAmount: 100 })),
);
const reservationContexts: OrderReservationContext[] = orderStatuses.flatMap((orderStatus) =>
  (['reserve', 'payment', 'cancel', 'reopen'] as const).map((by) => ({ orderStatus, by })),
);
const shipmentContexts: ShipmentContext[] = [{ stoppedOrders: [], carrier: 'SF', trackingNo: 'SF1', ordersLeft: 0, withdrawal: true, trustedDelivery: true }];
const refundContexts: RefundContext[] = [{ by: 'person' }, { by: 'worker' }, { by: 'provider' }];
const contexts: Record<string, readonly unknown[]> = {
  order: orderContexts,
  order_reservation: reservationContexts,
  reservation: [{}],
  shipment: shipmentContexts,
  refund: refundContexts,
  payment_exception: [{ refundState: null }, { refundState: 'declined' }],
  aftersale_case: [{}],
};

const machines = hubMachines.map((e) => e.machine as MachineDefinition<string, unknown, string, string>);

describe('the hub machines', () => {
  it('are all valid, with every effect they name implemented, and each has contexts to test with', () => {
    expect(validateMachines(hubMachines)).toEqual([]);
    expect(hubMachines.map((e) => e.machine.name).sort()).toEqual(Object.keys(contexts).sort());
  });

  describe.each(machines.map((m) => [m.name, m] as const))('%s', (_name, m) => {
    const states = Object.keys(m.states);
    const ctxs = contexts[m.name] ?? [];
    const declared = states.flatMap((from) => m.states[from]?.to.map((r) => [from, r.to] as const) ?? []);
    const undeclared = states.flatMap((from) => states.filter((to) => !declared.some(([f, t]) => f === from && t === to)).map((to) => [from, to] as const));

    it('has transitions to test', () => {
      expect(declared.length).toBeGreaterThan(0);
      expect(declared.length + undeclared.length).toBe(states.length * states.length);
    });

    it.each(declared)('allows %s → %s when its guards pass', (from, to) => {
      const outcomes = ctxs.map((ctx) => refusal(() => check(m, from, to, ctx)));
      expect(outcomes.some((o) => o === null), `no context lets ${m.name} go ${from} → ${to}: ${outcomes.map((o) => o?.message).join('; ')}`).toBe(true);
      // A refusal of a declared transition only ever comes from a guard, with its reason.
      for (const o of outcomes) if (o) expect(o.code).toBe('TRANSITION_GUARD_FAILED');
    });

    it.each(undeclared)('refuses %s → %s as not allowed', (from, to) => {
      for (const ctx of ctxs) {
        const e = refusal(() => check(m, from, to, ctx));
        expect(e?.code).toBe('TRANSITION_NOT_ALLOWED');
        expect(e?.details).toMatchObject({ machine: m.name, from, to });
      }
    });

    it('refuses a move out of a state it does not declare, and a start outside its initial states', () => {
      expect(refusal(() => check(m, 'no_such_state', states[0] as string, ctxs[0]))?.code).toBe('TRANSITION_NOT_ALLOWED');
      const machine = hubMachines.find((e) => e.machine.name === m.name)?.machine as ReturnType<typeof defineMachine<string, unknown, string, string>>;
      for (const s of states) {
        const e = refusal(() => machine.start(s));
        expect(e === null, `${m.name} starting in ${s}`).toBe(m.initial.includes(s));
        if (e) expect(e.code).toBe('TRANSITION_NOT_ALLOWED');
      }
    });
  });
});

describe('guards and their reasons', () => {
  it('names the machine, the step, the guard and its reason in a refusal', () => {
    const e = refusal(() => shipmentMachine.check('packed', 'shipped', { stoppedOrders: ['ORD-1'], carrier: 'SF', trackingNo: 'SF1' }));
    expect(e?.code).toBe('TRANSITION_GUARD_FAILED');
    expect(e?.message).toBe('shipment packed → shipped refused: order ORD-1 is cancelled or on hold: the parcel must not go on');
    expect(e?.details).toEqual({ machine: 'shipment', from: 'packed', to: 'shipped', guard: 'noOrderStopped', reason: 'order ORD-1 is cancelled or on hold: the parcel must not go on' });
    const n = refusal(() => shipmentMachine.check('delivered', 'shipped', {}));
    expect(n?.message).toBe('a shipment cannot go from delivered to shipped (delivered is final)');
    expect(n?.details).toEqual({ machine: 'shipment', from: 'delivered', to: 'shipped', allowed: [] });
  });

  it('shipment: a parcel leaves only with a carrier and tracking number, and none of its orders stopped', () => {
    const go = { stoppedOrders: [], carrier: 'SF', trackingNo: 'SF1' };
    expect(refusal(() => shipmentMachine.check('packed', 'shipped', go))).toBeNull();
    expect(refusal(() => shipmentMachine.check('packed', 'shipped', { ...go, trackingNo: ' ' }))?.message).toMatch(/only with a carrier and a tracking number/);
    expect(refusal(() => shipmentMachine.check('packed', 'shipped', { ...go, carrier: null }))?.message).toMatch(/only with a carrier and a tracking number/);
    // A step that did not look at its orders is refused rather than assumed fine.
    expect(refusal(() => shipmentMachine.check('planned', 'waved', {}))?.message).toMatch(/were not checked for cancellation or hold/);
    expect(refusal(() => shipmentMachine.check('planned', 'waved', { stoppedOrders: ['ORD-7', 'ORD-8'] }))?.message).toMatch(/order ORD-7, ORD-8 is cancelled or on hold/);
  });

  it('shipment: unpacked only by a withdrawal, cancelled only when no order is left, delivered only when trusted', () => {
    expect(refusal(() => shipmentMachine.check('packed', 'picked', {}))?.message).toMatch(/only when an order is taken out of it/);
    expect(refusal(() => shipmentMachine.check('packed', 'picked', { withdrawal: true }))).toBeNull();
    expect(refusal(() => shipmentMachine.check('waved', 'cancelled', { ordersLeft: 2 }))?.message).toMatch(/2 order\(s\) still want this shipment/);
    expect(refusal(() => shipmentMachine.check('waved', 'cancelled', { ordersLeft: 0 }))).toBeNull();
    expect(refusal(() => shipmentMachine.check('shipped', 'delivered', { trustedDelivery: false }))?.message).toMatch(/not trusted yet/);
    expect(refusal(() => shipmentMachine.check('shipped', 'delivered', { trustedDelivery: true }))).toBeNull();
  });

  it('refund: a person decides a proposal, the worker sends, only the provider says how it ended', () => {
    expect(refusal(() => refundMachine.check('proposed', 'requested', { by: 'worker' }))?.message).toMatch(/approved or declined by a person/);
    expect(refusal(() => refundMachine.check('proposed', 'declined', { by: 'person' }))).toBeNull();
    expect(refusal(() => refundMachine.check('requested', 'submitted', { by: 'provider' }))?.message).toMatch(/only the refund worker sends/);
    expect(refusal(() => refundMachine.check('submitted', 'succeeded', { by: 'worker' }))?.message).toMatch(/only the provider's refund notice or a refund query/);
    expect(refusal(() => refundMachine.check('failed', 'succeeded', { by: 'provider' }))).toBeNull();
    // The worker may give up on a refund (refused, account gone); the provider may say it failed too.
    expect(refusal(() => refundMachine.check('requested', 'failed', { by: 'worker' }))).toBeNull();
    // A refund the hub never sent cannot be settled by anyone.
    expect(refusal(() => refundMachine.check('declined', 'succeeded', { by: 'provider' }))?.code).toBe('TRANSITION_NOT_ALLOWED');
    expect(refusal(() => refundMachine.check('proposed', 'succeeded', { by: 'provider' }))?.code).toBe('TRANSITION_NOT_ALLOWED');
  });

  it('payment exception: one proposing a refund is resolved by deciding the refund', () => {
    expect(refusal(() => paymentExceptionMachine.check('open', 'resolved', { refundState: 'proposed' }))?.message).toMatch(/approve or decline it/);
    expect(refusal(() => paymentExceptionMachine.check('open', 'resolved', { refundState: 'declined' }))).toBeNull();
    expect(refusal(() => paymentExceptionMachine.check('resolved', 'resolved', { refundState: null }))?.code).toBe('TRANSITION_NOT_ALLOWED');
  });

  it("an order's reservation: held only unpaid, firm only by payment, given back only on cancel, asked again only on reopening", () => {
    const c = (orderStatus: OrderReservationContext['orderStatus'], by: OrderReservationContext['by']) => ({ orderStatus, by });
    expect(refusal(() => orderReservationMachine.check('none', 'held', c('paid', 'reserve')))?.message).toMatch(/only an unpaid order holds stock/);
    expect(refusal(() => orderReservationMachine.check('none', 'deducted', c('pending_payment', 'reserve')))?.message).toMatch(/only a paid order takes stock firm/);
    expect(refusal(() => orderReservationMachine.check('none', 'deducted', c('shipped', 'reserve')))).toBeNull();
    // Held stock is never taken a second time by asking again: only payment makes it firm.
    expect(refusal(() => orderReservationMachine.check('held', 'deducted', c('paid', 'reserve')))?.message).toMatch(/never reserved a second time/);
    expect(refusal(() => orderReservationMachine.check('held', 'deducted', c('paid', 'payment')))).toBeNull();
    expect(refusal(() => orderReservationMachine.check('deducted', 'deducted', c('paid', 'reserve')))?.code).toBe('TRANSITION_NOT_ALLOWED');
    expect(refusal(() => orderReservationMachine.check('held', 'released', c('paid', 'cancel')))?.message).toMatch(/only when it is cancelled/);
    expect(refusal(() => orderReservationMachine.check('none', 'short', c('cancelled', 'reserve')))?.message).toMatch(/takes no stock/);
    expect(refusal(() => orderReservationMachine.check('released', 'none', c('paid', 'reserve')))?.message).toMatch(/only a late payment/);
    expect(refusal(() => orderReservationMachine.check('released', 'none', c('paid', 'reopen')))).toBeNull();
  });

  it('a reservation row never moves again once shipped, released, restocked or rerouted', () => {
    for (const end of ['shipped', 'released', 'restocked', 'rerouted'] as const) {
      for (const to of reservationMachine.stateNames) expect(refusal(() => reservationMachine.check(end, to, {}))?.code).toBe('TRANSITION_NOT_ALLOWED');
    }
    expect(refusal(() => reservationMachine.check('held', 'shipped', {}))?.message).toBe('a reservation cannot go from held to shipped (allowed: deducted, released)');
  });

  it('an after-sales case is opened, then closed', () => {
    expect(refusal(() => caseMachine.start('open'))).toBeNull();
    expect(refusal(() => caseMachine.start('closed'))?.message).toBe('an after-sales case cannot start in closed (it starts in: open)');
    expect(refusal(() => caseMachine.check('open', 'closed', {}))).toBeNull();
  });
});

describe('effects beside the states', () => {
  it("apply the target state's entering effects before the step is recorded, its after-effects and the transition's own after", () => {
    expect(orderMachine.effectsOf('pending_payment', 'paid')).toEqual({ before: ['markPaid', 'stopPaymentTimer', 'firmUpReservation'], after: [] });
    expect(orderMachine.effectsOf('cancelled', 'paid')).toEqual({ before: ['markPaid', 'stopPaymentTimer', 'firmUpReservation'], after: ['reopen'] });
    expect(orderMachine.effectsOf('paid', 'cancelled')).toEqual({ before: ['markCancelled', 'stopPaymentTimer', 'stopShipments', 'giveBackStock'], after: ['liftStockHold'] });
    expect(orderMachine.effectsOf('delivered', 'completed')).toEqual({ before: [], after: [] });
    expect(() => orderMachine.effectsOf('completed', 'paid')).toThrow(/undeclared step completed → paid/);
    expect(refundMachine.effectsOf('submitted', 'failed')).toEqual({ before: ['raiseRefundException'], after: [] });
  });

  it('are implemented exactly as named: nothing missing, nothing extra', () => {
    expect(validateMachine(orderMachine, orderEffects)).toEqual([]);
    expect(validateMachine(refundMachine, refundEffects)).toEqual([]);
    const { reopen: _reopen, ...withoutReopen } = orderEffects;
    expect(validateMachine(orderMachine, withoutReopen)).toEqual(['effect "reopen" (cancelled → paid) has no implementation']);
    expect(validateMachine(orderMachine, { ...orderEffects, sendFlowers: async () => undefined })).toEqual(['effect "sendFlowers" is implemented but no state or transition names it']);
    // A machine registered without effects must name none.
    expect(validateMachines([{ machine: refundMachine as unknown as AnyMachineDefinition, effects: null }])).toEqual([
      'refund: effect "raiseRefundException" (entering failed, entering closed) has no implementation',
      'refund: effect "settleWaitingExceptions" (entering succeeded) has no implementation',
    ]);
  });
});

describe('validateMachine catches each kind of defect', () => {
  type S = 'a' | 'b' | 'c';
  const label = { zh: '甲', en: 'A' };
  const sound: MachineDefinition<S, { ok: boolean }, 'ok', 'e1'> = {
    name: 'toy',
    noun: 'a toy',
    initial: ['a'],
    guards: { ok: (ctx) => (ctx.ok ? null : 'not ok') },
    states: {
      a: { label, to: [{ to: 'b', guards: ['ok'] }] },
      b: { label, to: [{ to: 'c' }], onEnter: ['e1'] },
      c: { label, terminal: true, to: [] },
    },
  };
  const broken = (patch: Partial<Record<S, StateDefinition<S, 'ok', 'e1'>>>) => ({ ...sound, states: { ...sound.states, ...patch } as typeof sound.states });

  it('finds nothing wrong with a sound machine', () => {
    expect(validateMachine(sound, { e1: () => undefined })).toEqual([]);
  });

  it.each([
    ['an unknown target', broken({ a: { label, to: [{ to: 'b', guards: ['ok'] }, { to: 'z' as S }] } }), 'a → z: unknown target state'],
    ['an unknown guard', broken({ a: { label, to: [{ to: 'b', guards: ['ok', 'nope' as 'ok'] }] } }), 'a → b: unknown guard "nope"'],
    ['a duplicate', broken({ b: { label, to: [{ to: 'c' }, { to: 'c' }] } }), 'b → c: declared twice'],
    ['a move to itself', broken({ b: { label, to: [{ to: 'c' }, { to: 'b' }] } }), 'b → b: a state cannot move to itself'],
    ['a missing label', broken({ c: { label: { zh: '', en: 'C' }, terminal: true, to: [] } }), 'c needs a label in Chinese and English'],
    ['an unreachable state', broken({ a: { label, to: [{ to: 'c', guards: ['ok'] }] } }), 'b cannot be reached from a'],
    ['a state with no way out', broken({ b: { label, to: [] } }), 'b has no transitions and is not marked terminal'],
    ['a terminal state with transitions', broken({ c: { label, terminal: true, to: [{ to: 'a' }] } }), 'c is terminal but has transitions'],
    ['a state that can never end', broken({ b: { label, to: [{ to: 'a' }] } }), 'a can never end'],
  ])('%s', (_kind, def, problem) => {
    expect(validateMachine(def)).toContain(problem);
  });

  it('an unused guard, no terminal state, a missing or undeclared initial state', () => {
    expect(validateMachine({ ...sound, guards: { ...sound.guards, spare: () => null } as typeof sound.guards })).toEqual(['guard "spare" is declared but no transition uses it']);
    expect(validateMachine(broken({ c: { label, to: [{ to: 'a' }] } }))).toContain('no terminal state');
    expect(validateMachine({ ...sound, initial: [] })).toContain('no initial state');
    expect(validateMachine({ ...sound, initial: ['z' as S] })).toContain('initial state "z" is not declared');
  });

  it('names the machine in each problem, and two machines of one name', () => {
    const toy = sound as unknown as AnyMachineDefinition;
    expect(validateMachines([{ machine: toy, effects: { e1: () => undefined } }, { machine: toy, effects: null }])).toEqual([
      'toy: two machines have this name',
      'toy: effect "e1" (entering b) has no implementation',
    ]);
  });

  it('a machine built with defineMachine keeps the definition it was given', () => {
    const toy = defineMachine(sound);
    expect(toy.stateNames).toEqual(['a', 'b', 'c']);
    expect(toy.transitions()).toEqual([
      ['a', 'b'],
      ['b', 'c'],
    ]);
    expect(toy.plan('a', 'c', { ok: true })).toEqual(['b', 'c']);
    expect(refusal(() => toy.plan('a', 'c', { ok: false }))?.message).toBe('toy a → b refused: not ok');
    expect(refusal(() => toy.plan('c', 'a', { ok: true }))?.message).toBe('a toy cannot go from c to a');
  });
});
