// A simulated shop's catalogue (商品): items and their SKUs with the merchant codes (outer ids) and quantities the
// platform shows. Listing pulls read it, stock writes change it; a test changes a quantity behind the hub's back
// (`setQuantity`) and reads every write the hub made (`writes`), each with the value it set and when.

export interface SimCatalogueSku {
  skuId: string;
  outerId: string | null;
  quantity: number;
  /** Spec text as the platform shows it (颜色:红;尺码:L). */
  spec: string;
}

export interface SimCatalogueItem {
  itemId: string;
  title: string;
  /** The item's own merchant code (an item without SKUs is sold by it). */
  outerId: string | null;
  /** Items without SKUs: the item's quantity; with SKUs, the sum of theirs. */
  quantity: number;
  skus: SimCatalogueSku[];
}

export interface SimStockWrite {
  itemId: string;
  /** '' for an item without SKUs. */
  skuId: string;
  quantity: number;
  at: number;
}

export class SimCatalogue {
  readonly items = new Map<string, SimCatalogueItem>();
  /** Every stock write the shop accepted, in order. */
  readonly writes: SimStockWrite[] = [];
  private refuse: { code: string; message: string; itemId: string | null } | null = null;

  /** Adds an item (with SKUs or without) to the shop; returns it. */
  add(item: { itemId: string; title: string; outerId?: string | null; quantity?: number; skus?: Omit<SimCatalogueSku, 'spec'>[] }): SimCatalogueItem {
    const skus = (item.skus ?? []).map((s) => ({ ...s, spec: `规格:${s.outerId ?? s.skuId}` }));
    const it: SimCatalogueItem = { itemId: item.itemId, title: item.title, outerId: item.outerId ?? null, quantity: item.quantity ?? 0, skus };
    if (skus.length) it.quantity = skus.reduce((a, s) => a + s.quantity, 0);
    this.items.set(item.itemId, it);
    return it;
  }

  /**
   * Makes sure the shop lists this merchant code (an order of the shop sold it): an item with one SKU of that outer id
   * and 100 units, numbered from `idBase`. Nothing when it is listed already.
   */
  ensureSku(outerId: string, idBase: number): void {
    if (this.listings().some((l) => (l.sku ? l.sku.outerId : l.item.outerId) === outerId)) return;
    const n = this.items.size + 1;
    this.add({ itemId: String(idBase + n * 10), title: outerId, outerId, skus: [{ skuId: String(idBase + n * 10 + 1), outerId, quantity: 100 }] });
  }

  /** The quantity the platform shows for an item ('' sku) or one of its SKUs; null when there is no such listing. */
  quantityOf(itemId: string, skuId = ''): number | null {
    const it = this.items.get(itemId);
    if (!it) return null;
    if (skuId === '') return it.quantity;
    return it.skus.find((s) => s.skuId === skuId)?.quantity ?? null;
  }

  /** Sets a quantity as the seller would in the platform's back office (not recorded as a write). */
  setQuantity(itemId: string, skuId: string, quantity: number): boolean {
    const it = this.items.get(itemId);
    if (!it) return false;
    if (skuId === '') {
      if (it.skus.length) return false;
      it.quantity = quantity;
      return true;
    }
    const s = it.skus.find((x) => x.skuId === skuId);
    if (!s) return false;
    s.quantity = quantity;
    it.quantity = it.skus.reduce((a, x) => a + x.quantity, 0);
    return true;
  }

  /** A stock write the platform accepted: the listing changes and the write is recorded. */
  write(itemId: string, skuId: string, quantity: number): boolean {
    if (!this.setQuantity(itemId, skuId, quantity)) return false;
    this.writes.push({ itemId, skuId, quantity, at: Date.now() });
    return true;
  }

  /**
   * The next stock write (to this item, when named) is refused with the platform's error (a business refusal:
   * 活动中的商品不能减库存 …).
   */
  refuseNextWrite(code: string, message: string, itemId: string | null = null): void {
    this.refuse = { code, message, itemId };
  }

  /** Takes the pending refusal for a write to this item, if any (the simulator answers with it instead of writing). */
  takeRefusal(itemId: string): { code: string; message: string } | null {
    const r = this.refuse;
    if (!r || (r.itemId !== null && r.itemId !== itemId)) return null;
    this.refuse = null;
    return r;
  }

  /** Every listing as (item, sku) pairs: an item without SKUs is one listing with skuId ''. */
  listings(): { item: SimCatalogueItem; sku: SimCatalogueSku | null }[] {
    return [...this.items.values()].flatMap((item): { item: SimCatalogueItem; sku: SimCatalogueSku | null }[] => (item.skus.length ? item.skus.map((sku) => ({ item, sku })) : [{ item, sku: null }]));
  }
}
