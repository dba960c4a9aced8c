// Labels (面单) to print: one parcel's, or a wave's in one PDF (reprint is the same call). The receiver is printed as
// masked as the network's print data gives it, else as the hub's mask of what the platform gave — never decrypted.
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { maskAddress, maskName, maskPhone } from '../../orders/domain/order.ts';
import { shipmentRow } from '../store/shipment-row.ts';
import { waveRow, waveShipments } from './wave.ts';
import { carrierEntry } from '../../../kernel/carriers.ts';
import { carrierNames } from '../waybills/carriers.ts';
import { keptDocument, ordersOf } from '../waybills/issue.ts';
import { renderLabels, type LabelData, type LabelSize } from '../waybills/label.ts';
import type { WaybillPrint, WaybillSender } from '../waybills/types.ts';
import { notFound, type WaybillAccountRow, type WaybillDeps, type WaybillRow } from '../waybills/views.ts';
import type { ShipmentRow } from '../views.ts';

/** The platforms' ciphertexts: PDD's ~…~, Douyin's #…# and $…$, JD's base64 (TDE). */
const ciphertext = (v: string) => /^~.+~/s.test(v) || /^#.+#$/s.test(v) || /^\$.+\$$/s.test(v) || /^[A-Za-z0-9+/]{24,}={0,2}$/.test(v);
/** Ciphertext is never printed, nor a mask of it: a label shows what a person can read, or nothing. */
const readable = (v: string | null | undefined) => (v && !ciphertext(v) ? v : '');

async function labelOf(deps: WaybillDeps, s: ShipmentRow): Promise<LabelData> {
  const w = await deps.db.read.get<WaybillRow>(`SELECT * FROM waybills WHERE shipment_id = ? AND state = 'issued' AND waybill_no IS NOT NULL`, [s.id]);
  if (!w?.waybill_no) throw notFound(s.id);
  const account = await deps.db.read.get<WaybillAccountRow>('SELECT * FROM waybill_accounts WHERE id = ?', [w.account_id]);
  const sender = account ? (JSON.parse(account.sender) as WaybillSender) : null;
  const orders = await ordersOf(deps, s);
  const first = orders[0];
  const print = (w.print_data ? JSON.parse(w.print_data) : {}) as WaybillPrint;
  const r = first?.receiver;
  const place = r ? `${r.province}${r.city}${r.district}` : '';
  const lines = await deps.db.read.all<{ order_id: string; line_no: number; sku: string; quantity: number }>('SELECT order_id, line_no, sku, quantity FROM shipment_lines WHERE shipment_id = ? ORDER BY order_id, line_no', [s.id]);
  const byId = new Map(orders.map((o) => [o.id, o]));
  return {
    waybillNo: w.waybill_no,
    // The network's name for the carrier where it chose one (Shopee's logistics channel), else ours for the code.
    carrierName: print.carrierName || (carrierEntry(carrierNames, w.carrier) ?? w.carrier.toUpperCase()),
    sortCode: w.sort_code,
    receiver: {
      name: readable(print.receiverName) || maskName(readable(r?.name)) || '',
      phone: readable(print.receiverPhone) || maskPhone(readable(r?.phone)) || '',
      address: readable(print.receiverAddress) || `${place}${maskAddress(readable(r?.address)) ?? ''}`,
    },
    sender: sender ? { name: sender.name, phone: sender.phone, address: `${sender.province}${sender.city}${sender.district}${sender.address}` } : { name: '', phone: '', address: '' },
    orderNos: orders.map((o) => o.orderNo),
    items: lines.map((l) => ({ title: byId.get(l.order_id)?.titles.get(Number(l.line_no)) || l.sku, quantity: Number(l.quantity) })),
  };
}

/**
 * One parcel's label. Where the network made its own (Shopee's shipping document, kept when the number was issued) that
 * one is served as it came, in the network's own format — the 3PL scans what its network printed; else the hub renders
 * one in the size asked for.
 */
export async function shipmentLabel(deps: WaybillDeps, who: Principal, shipmentId: string, size: LabelSize): Promise<Buffer> {
  const s = await shipmentRow(deps.db.read, who, shipmentId);
  const w = await deps.db.read.get<WaybillRow>(`SELECT * FROM waybills WHERE shipment_id = ? AND state = 'issued' AND waybill_no IS NOT NULL`, [s.id]);
  const own = w ? await keptDocument(deps.db.read, w.id) : null;
  if (own?.contentType === 'application/pdf') return own.body;
  return renderLabels([await labelOf(deps, s)], size);
}

/**
 * The wave's parcels that have a number, in pick order, one page each; refused when none has one yet. All pages are the
 * hub's own (a Shopee parcel's too, with Shopee's number): a network's own PDFs are not merged into one file here.
 */
export async function waveLabels(deps: WaybillDeps, who: Principal, waveId: string, size: LabelSize): Promise<Buffer> {
  await waveRow(deps, who, waveId);
  const labels: LabelData[] = [];
  for (const s of await waveShipments(deps.db.read, who.scope, waveId)) {
    if (s.state === 'cancelled') continue;
    try {
      labels.push(await labelOf(deps, s));
    } catch (e) {
      if (!(e instanceof HubError && e.code === 'WAYBILL_NOT_FOUND')) throw e;
    }
  }
  if (!labels.length) throw new HubError('WAYBILL_NOT_FOUND', `no parcel of wave ${waveId} has a waybill yet: get the wave's waybills first`);
  return renderLabels(labels, size);
}
