// What a waybill and its label need of a parcel's orders (the fulfilment module asks; it does not read orders):
// the platform's ids, the receiver as stored — a platform's mask or ciphertext stays as the platform gave it, the
// hub's own storage encryption is opened only to mask it again — and the line titles for the item summary.
import type { Reader } from '../../../platform/db/database.ts';
import type { Keyring } from '../../../platform/security/keyring.ts';

export interface WaybillOrder {
  id: string;
  orderNo: string;
  channel: string;
  accountId: string;
  platformOrderId: string;
  status: string;
  held: boolean;
  /** 'masked' | 'encrypted' | null (in clear: the hub's own shop). */
  protection: string | null;
  receiver: { name: string; phone: string; province: string; city: string; district: string; address: string };
  titles: Map<number, string>;
}

interface Row {
  id: string;
  order_no: string;
  channel: string;
  account_id: string;
  platform_order_id: string;
  status: string;
  hold_code: string | null;
  receiver_protection: string | null;
  receiver_name: string;
  receiver_phone: string | null;
  receiver_province: string;
  receiver_city: string;
  receiver_district: string;
  receiver_address: string;
}

export async function waybillOrders(q: Reader, keyring: Keyring, tenantId: string, ids: readonly string[]): Promise<WaybillOrder[]> {
  const out: WaybillOrder[] = [];
  for (const id of ids) {
    const o = await q.get<Row>(
      `SELECT id, order_no, channel, account_id, platform_order_id, status, hold_code, receiver_protection, receiver_name, receiver_phone, receiver_province,
              receiver_city, receiver_district, receiver_address FROM orders WHERE id = ? AND tenant_id = ?`,
      [id, tenantId],
    );
    if (!o) continue;
    const lines = await q.all<{ line_no: number; title: string }>('SELECT line_no, title FROM order_lines WHERE order_id = ? ORDER BY line_no', [id]);
    out.push({
      id: o.id,
      orderNo: o.order_no,
      channel: o.channel,
      accountId: o.account_id,
      platformOrderId: o.platform_order_id,
      status: o.status,
      held: Boolean(o.hold_code),
      protection: o.receiver_protection,
      receiver: {
        name: o.receiver_name,
        phone: keyring.decryptNullable(o.receiver_phone) ?? '',
        province: o.receiver_province,
        city: o.receiver_city,
        district: o.receiver_district,
        // Stored under the hub's own key (like the phone): opened here to the text the platform gave.
        address: keyring.decryptNullable(o.receiver_address) ?? '',
      },
      titles: new Map(lines.map((l) => [Number(l.line_no), l.title])),
    });
  }
  return out;
}
