// Own web shop: it speaks the anchor's own statuses, so its dictionary is the identity on the anchor.
import type { StatusDictionary } from '../types.ts';

export const ownshopStatuses = {
  pending_payment: { anchor: 'pending_payment', doc: 'awaiting payment' },
  paid: { anchor: 'paid', doc: 'paid' },
  shipped: { anchor: 'shipped', doc: 'handed to the carrier' },
  delivered: { anchor: 'delivered', doc: 'delivered' },
  completed: { anchor: 'completed', doc: 'completed' },
  cancelled: { anchor: 'cancelled', doc: 'cancelled' },
} as const satisfies StatusDictionary;
