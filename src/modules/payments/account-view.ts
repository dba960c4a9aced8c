// A payment account as stored and as the hub uses it: credentials decrypted, the shops it pays for parsed.
import type { Keyring } from '../../platform/security/keyring.ts';

/** Which of the order's numbers the shop sent to the provider as out_trade_no (Stripe: metadata.order_no). */
export type OrderRef = 'order_no' | 'platform_order_id';

export interface PaymentAccount {
  id: string;
  tenantId: string;
  provider: string;
  name: string;
  active: boolean;
  credentials: Record<string, unknown>;
  channelAccounts: string[];
  orderRef: OrderRef;
  createdAt: number;
  updatedAt: number;
}

export interface PaymentAccountRow {
  id: string;
  tenant_id: string;
  provider: string;
  name: string;
  credentials: string;
  channel_accounts: string;
  order_ref: string;
  active: number;
  created_at: number;
  updated_at: number;
}

export function toAccount(keyring: Keyring, r: PaymentAccountRow): PaymentAccount {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    provider: r.provider,
    name: r.name,
    active: Number(r.active) === 1,
    credentials: JSON.parse(keyring.decrypt(r.credentials)) as Record<string, unknown>,
    channelAccounts: JSON.parse(r.channel_accounts) as string[],
    orderRef: r.order_ref === 'platform_order_id' ? 'platform_order_id' : 'order_no',
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}
