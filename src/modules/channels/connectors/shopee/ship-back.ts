// Shopee ship-back (发货回传), the inverted flow. A parcel whose number came from Shopee (carrier `shopee`: the hub's
// shopee waybill network arranged the shipment and took Shopee's number) has nothing left to tell: the ship-back reads
// the order and confirms Shopee has it arranged with that very number (already). A parcel shipped with another
// carrier's number goes with ship_order's non_integrated tracking_number, which Shopee takes only for orders on a
// non-integrated channel; Shopee decides the carrier (the order's logistics channel), so no carrier code is sent and
// none is refused. The order is read first, so a retry after a lost answer finds it arranged and sends nothing.
import { canonicalCarrier } from '../../../../kernel/carriers.ts';
import { PlatformWriteError, type CallContext, type ShipBackParcel, type WriteResult } from '../types.ts';
import type { ShopeeCredentials } from './index.ts';
import { arrangedStatuses, ensureArranged, notShippable, onePackage, readShopeeOrder, shopeeTrackingNumber } from './logistics.ts';

/** The hub's carrier code for "the logistics channel Shopee assigned": a number Shopee itself issued. */
export const shopeeIssuedCarrier = 'shopee';

export async function shipBackShopee(ctx: CallContext<ShopeeCredentials>, parcel: ShipBackParcel): Promise<WriteResult> {
  const sn = parcel.platformOrderId;
  if (!/^[0-9A-Z]{6,32}$/.test(sn)) throw new PlatformWriteError('ORDER_ID_INVALID', `Shopee order_sn ${JSON.stringify(sn)} is not one`, { refused: true });
  const trackingNo = parcel.trackingNo.trim();
  if (!trackingNo) throw new PlatformWriteError('TRACKING_NUMBER_MISSING', 'a Shopee ship-back needs the parcel’s tracking number', { refused: true });
  // Shopee ships an order's package whole; telling it one parcel of several would mark the whole order sent.
  if (parcel.partial) {
    throw new PlatformWriteError('PARTIAL_PARCEL', `Shopee ships order ${sn} as one package: a parcel carrying part of it cannot be told apart (split the order on Shopee, or ship it in one parcel)`, { refused: true });
  }

  if (canonicalCarrier(parcel.carrier) === shopeeIssuedCarrier) {
    const order = await readShopeeOrder(ctx, sn);
    const pkg = onePackage(order);
    if (!arrangedStatuses.has(order.status)) {
      if (order.status === 'READY_TO_SHIP') {
        throw new PlatformWriteError('NOT_ARRANGED', `the parcel's number ${trackingNo} is said to be Shopee's, but Shopee has not arranged order ${sn}: get the number with the shopee waybill network`, { refused: true });
      }
      throw notShippable(order);
    }
    const t = await shopeeTrackingNumber(ctx, sn, pkg);
    if (t.trackingNo !== trackingNo) {
      throw new PlatformWriteError('TRACKING_MISMATCH', `Shopee has order ${sn} arranged with tracking number ${t.trackingNo || '(none yet)'}, not ${trackingNo}`, { status: t.status, refused: true });
    }
    return { platformRef: pkg ?? null, already: true, status: t.status };
  }

  const arranged = await ensureArranged(ctx, sn, { kind: 'non_integrated', trackingNo });
  if (arranged.arrangedNow) return { platformRef: arranged.packageNumber ?? null, already: false, status: arranged.status };
  // Arranged before this call: ours (a retry after a lost answer) when Shopee holds our number.
  const t = await shopeeTrackingNumber(ctx, sn, arranged.packageNumber);
  if (t.trackingNo !== trackingNo) {
    throw new PlatformWriteError('ALREADY_ARRANGED', `Shopee has order ${sn} already shipped (arranged) with tracking number ${t.trackingNo || '(none yet)'}, not ${trackingNo}`, { status: t.status, refused: true });
  }
  return { platformRef: arranged.packageNumber ?? null, already: true, status: t.status };
}
