// Own web shop: it speaks the anchor's own statuses, so its dictionary is the identity on the anchor.
import type { OrderStatus } from '../../domain/status-machine.ts';

export const ownshopStatuses = {
  pending_payment: 'pending_payment',
  paid: 'paid',
  shipped: 'shipped',
  delivered: 'delivered',
  completed: 'completed',
  cancelled: 'cancelled',
} as const satisfies Record<string, OrderStatus>;
