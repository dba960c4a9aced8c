// Every state machine of the hub with the implementations of the effects it names: what startHub validates at boot.
import type { MachineEntry } from '../kernel/machine.ts';
import { orderMachine } from '../modules/orders/domain/machine.ts';
import { orderEffects } from '../modules/orders/lifecycle.ts';
import { orderReservationMachine, reservationMachine } from '../modules/inventory/domain/reservation-machine.ts';
import { shipmentMachine } from '../modules/fulfilment/domain/shipment-machine.ts';
import { refundMachine } from '../modules/payments/domain/refund-machine.ts';
import { refundEffects } from '../modules/payments/refunds.ts';
import { paymentExceptionMachine } from '../modules/payments/domain/payment-exception-machine.ts';
import { caseMachine } from '../modules/tracking/domain/case-machine.ts';

/** A machine without effects names none; one that names an effect with no implementation here fails the boot check. */
export const hubMachines: readonly MachineEntry[] = [
  { machine: orderMachine, effects: orderEffects },
  { machine: orderReservationMachine, effects: null },
  { machine: reservationMachine, effects: null },
  { machine: shipmentMachine, effects: null },
  { machine: refundMachine, effects: refundEffects },
  { machine: paymentExceptionMachine, effects: null },
  { machine: caseMachine, effects: null },
];
