// What every carrier network's e-waybill client (电子面单) speaks: one parcel's request, the number it gets, a cancel.
// The clients only translate (one file per network); the waybill service decides when to call them.
import type { CallContext } from '../../channels/connectors/types.ts';

export { PlatformWriteError } from '../../channels/connectors/types.ts';
export type { CallContext } from '../../channels/connectors/types.ts';

export const waybillNetworks = ['cainiao', 'pinduoduo', 'douyin', 'jd', 'shopee'] as const;
export type WaybillNetwork = (typeof waybillNetworks)[number];

/** The sender (发件人) as the network takes it: the seller's return address, printed on the label. */
export interface WaybillSender {
  name: string;
  phone: string;
  province: string;
  city: string;
  district: string;
  address: string;
}

/**
 * One parcel's request. The receiver travels as the platform gave it: its handle (Taobao's oaid with the tid) or its
 * ciphertext (PDD's ~…~ fields), plus the masked text the hub stored — never decrypted by the hub.
 */
export interface WaybillRequest {
  /** The network keeps this per request: asking again with it answers the same number (no second waybill). */
  objectId: string;
  /** The hub carrier code (zto, yunda …): the client turns it into the network's code. */
  carrier: string;
  sender: WaybillSender;
  /** The platform orders in the parcel (a merged parcel has several), as the platform numbers them. */
  orders: { channel: string; platformOrderId: string; receiverHandle: string | null }[];
  receiver: { name: string; phone: string; province: string; city: string; district: string; address: string };
  items: { name: string; count: number }[];
  weightGrams: number;
}

/** What the label prints from the network's answer; the network's own print data stays as it came, for its printer. */
export interface WaybillPrint {
  receiverName?: string | undefined;
  receiverPhone?: string | undefined;
  receiverAddress?: string | undefined;
  /** The route / sort code (大头笔, 三段码) when the network returns one. */
  sortCode?: string | undefined;
  /** The network's print data as given (often encrypted for its cloud-print component). */
  raw?: string | undefined;
  /** The carrier as the network names it, where the network chose it (Shopee's logistics channel: "SPX Express"). */
  carrierName?: string | undefined;
  /** What the network needs to find this waybill again (Shopee: the order_sn and package_number). */
  networkRef?: Record<string, string> | undefined;
}

/** A network's own printable label for an issued number (Shopee's shipping document). */
export interface WaybillDocument {
  contentType: string;
  body: Buffer;
}

export interface IssuedWaybill {
  waybillNo: string;
  print: WaybillPrint;
  status: number;
}

export interface WaybillClient<Credentials = unknown> {
  readonly network: WaybillNetwork;
  readonly label: string;
  /**
   * Set where the network is the order's own platform (Shopee): its calls are signed with the credentials of the shop
   * (channel account) the parcel's order belongs to, given as `shop` beside the waybill account's own settings.
   */
  readonly signedByShop?: string;
  /**
   * Set where the network has no call to give a number back (Shopee keeps an arranged shipment on its order): an owed
   * cancel is recorded without calling it, and never asks for a number it does not know.
   */
  readonly keepsNumbers?: boolean;
  /** Problems with the credentials given for a new account; empty when usable. */
  credentialProblems(credentials: unknown): string[];
  /** The network's code for a hub carrier, or null when it does not carry for it. */
  carrierCode(carrier: string): string | null;
  /** Gets (or gets again, for the same objectId) the parcel's waybill number; throws PlatformWriteError. */
  issue(ctx: CallContext<Credentials>, req: WaybillRequest): Promise<IssuedWaybill>;
  /** Gives a number back (the parcel was stopped); a number already cancelled is fine. */
  cancel(ctx: CallContext<Credentials>, w: { carrier: string; waybillNo: string }): Promise<{ status: number }>;
  /**
   * The network's own label for an issued number, where it makes one; null while it is not ready (ask again later) or
   * when what it serves is not a PDF. Throws PlatformWriteError.
   */
  document?(ctx: CallContext<Credentials>, w: { waybillNo: string; print: WaybillPrint }, opts: { polls: number; pollMs: number }): Promise<WaybillDocument | null>;
}

export const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A network's print data when it is readable JSON (the simulators' and some networks' plain form); else kept raw. */
export function readPrintData(raw: string): WaybillPrint {
  try {
    const p: unknown = JSON.parse(raw);
    const d = isRecord(p) && isRecord(p.data) ? p.data : isRecord(p) ? p : {};
    const recipient = isRecord(d.recipient) ? d.recipient : {};
    const addr = isRecord(recipient.address) ? recipient.address : {};
    const routing = isRecord(d.routingInfo) ? d.routingInfo : {};
    const sortation = isRecord(routing.sortation) ? routing.sortation : {};
    const address = [addr.province, addr.city, addr.district, addr.detail].map(str).join('');
    return {
      receiverName: str(recipient.name) || undefined,
      receiverPhone: str(recipient.mobile) || str(recipient.phone) || undefined,
      receiverAddress: address || undefined,
      sortCode: str(sortation.name) || str(routing.routeCode) || undefined,
      raw,
    };
  } catch {
    return { raw };
  }
}
