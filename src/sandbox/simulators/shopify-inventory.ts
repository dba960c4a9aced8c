// A Shopify shop's locations and inventory levels (one `available` quantity per inventory item and location), and the
// GraphQL Admin operations a stock sync calls on them — inventorySetQuantities with compare-and-set, inventoryItem →
// inventoryLevel(locationId) → quantities, location (the primary one without an id), locations — as the documents at
// shopify.dev describe them for API 2025-10. The document is read minimally (the operation's root field and the
// arguments the hub passes), not with a GraphQL parser. Written apart from the hub's connector.
import type { SimResponse } from './types.ts';

export interface SimLocation {
  id: number;
  name: string;
  active: boolean;
}

/** The reasons inventorySetQuantities accepts (shopify.dev: inventory states, "possible reasons"). */
const reasons = new Set([
  'correction',
  'cycle_count_available',
  'damaged',
  'movement_canceled',
  'movement_created',
  'movement_received',
  'movement_updated',
  'other',
  'promotion',
  'quality_control',
  'received',
  'reservation_created',
  'reservation_deleted',
  'reservation_updated',
  'restock',
  'safety_stock',
  'shrinkage',
]);

/** One set the shop accepted: what a test reads to see where stock went. */
export interface SimInventoryWrite {
  inventoryItemId: number;
  locationId: number;
  quantity: number;
  compareQuantity: number | null;
  reason: string;
  referenceDocumentUri: string | null;
}

const bucketMax = 2000;
const restorePerSecond = 100;

interface UserError {
  code: string;
  field: string[];
  message: string;
}

function gidNumber(kind: string, v: unknown): number | null {
  if (typeof v !== 'string') return null;
  const m = new RegExp(`^gid://shopify/${kind}/(\\d{1,20})$`).exec(v);
  return m ? Number(m[1]) : null;
}

/** The value an argument of a field is given in the document: a variable's value, a string, a number, a list of strings. */
function argOf(doc: string, field: string, arg: string, variables: Record<string, unknown>): unknown {
  const call = new RegExp(`\\b${field}\\s*\\(([^)]*)\\)`).exec(doc);
  if (!call) return undefined;
  const m = new RegExp(`\\b${arg}\\s*:\\s*(\\$[A-Za-z_]\\w*|"(?:[^"\\\\]|\\\\.)*"|-?\\d+|\\[[^\\]]*\\]|true|false)`).exec(call[1] ?? '');
  const v = m?.[1];
  if (v === undefined) return undefined;
  if (v.startsWith('$')) return variables[v.slice(1)];
  if (v.startsWith('"')) return JSON.parse(v) as string;
  if (v.startsWith('[')) return [...v.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((x) => JSON.parse(`"${x[1] ?? ''}"`) as string);
  if (v === 'true' || v === 'false') return v === 'true';
  return Number(v);
}

export class ShopifyInventory {
  readonly locations = new Map<number, SimLocation>();
  /** Per inventory item: available per location where it is stocked. */
  private readonly levels = new Map<number, Map<number, number>>();
  readonly writes: SimInventoryWrite[] = [];
  private groupSeq = 9_000_000_000;
  private points = bucketMax;
  private pointsAt = Date.now();
  /** The next set fails like this (a refusal as a userError, or a 5xx after or before applying). */
  failNext: { status: number; applied?: boolean; code?: string; message?: string } | null = null;

  constructor(readonly primary: number) {
    this.locations.set(primary, { id: primary, name: 'Shop location', active: true });
  }

  addLocation(id: number, name = `Location ${id}`, active = true): void {
    this.locations.set(id, { id, name, active });
  }

  /** Stocks the item at the location with this quantity (null: no longer stocked there). */
  stock(item: number, location: number, quantity: number | null): void {
    if (!this.locations.has(location)) this.addLocation(location);
    const at = this.levels.get(item) ?? new Map<number, number>();
    if (quantity === null) at.delete(location);
    else at.set(location, quantity);
    this.levels.set(item, at);
  }

  available(item: number, location: number): number | undefined {
    return this.levels.get(item)?.get(location);
  }

  levelsOf(item: number): Map<number, number> {
    return new Map(this.levels.get(item) ?? []);
  }

  /** What the variant's inventory_quantity says: every location's available added. */
  total(item: number): number {
    let n = 0;
    for (const q of this.levels.get(item)?.values() ?? []) n += q;
    return n;
  }

  has(item: number): boolean {
    return this.levels.has(item);
  }

  /** Moves everything stocked at one location to another (a test places a SKU elsewhere). */
  move(item: number, from: number, to: number): void {
    const at = this.levels.get(item);
    if (!at || from === to) return;
    const q = at.get(from);
    at.delete(from);
    if (!this.locations.has(to)) this.addLocation(to);
    at.set(to, (at.get(to) ?? 0) + (q ?? 0));
  }

  private cost(requested: number) {
    const now = Date.now();
    this.points = Math.min(bucketMax, this.points + ((now - this.pointsAt) / 1000) * restorePerSecond);
    this.pointsAt = now;
    const ok = this.points >= requested;
    if (ok) this.points -= requested;
    return {
      ok,
      cost: {
        requestedQueryCost: requested,
        actualQueryCost: ok ? requested : null,
        throttleStatus: { maximumAvailable: bucketMax, currentlyAvailable: Math.floor(this.points), restoreRate: restorePerSecond },
      },
    };
  }

  /** The shop's answer to one POST graphql.json whose token was accepted; `throttled`: the test asked for a limit now. */
  graphql(rawBody: Buffer, throttled: boolean): SimResponse {
    let req: { query?: unknown; variables?: unknown; operationName?: unknown } | null;
    try {
      req = JSON.parse(rawBody.toString('utf8')) as typeof req;
    } catch {
      return { status: 400, body: JSON.stringify({ errors: [{ message: 'Invalid JSON in request body' }] }) };
    }
    if (!req || typeof req.query !== 'string' || !req.query.trim()) return { status: 400, body: JSON.stringify({ errors: [{ message: 'Parameter Missing or Invalid' }] }) };
    const doc = req.query.replace(/#[^\n]*/g, ' ');
    const variables = req.variables && typeof req.variables === 'object' ? (req.variables as Record<string, unknown>) : {};
    const root = /^\s*(query|mutation)?\b[^{]*\{\s*([A-Za-z_]\w*)/.exec(doc);
    const kind = root?.[1] ?? 'query';
    const field = root?.[2] ?? '';
    const requested = kind === 'mutation' ? 10 : field === 'locations' ? 4 : 2;
    // A limit asked for by a test: the bucket is empty now and refills at the restore rate.
    if (throttled) {
      this.points = 0;
      this.pointsAt = Date.now();
    }
    const { ok, cost } = this.cost(requested);
    const answer = (body: Record<string, unknown>): SimResponse => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, extensions: { cost } }) });
    if (!ok) return answer({ errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' } }] });
    const undefinedField = (type: string) => answer({ errors: [{ message: `Field '${field}' doesn't exist on type '${type}'`, extensions: { code: 'undefinedField', typeName: type, fieldName: field } }] });
    if (kind === 'mutation') {
      if (field !== 'inventorySetQuantities') return undefinedField('Mutation');
      return this.setQuantities(argOf(doc, 'inventorySetQuantities', 'input', variables), answer);
    }
    switch (field) {
      case 'inventoryItem': {
        const item = gidNumber('InventoryItem', argOf(doc, 'inventoryItem', 'id', variables));
        if (item === null) return answer({ errors: [{ message: 'Invalid global id', extensions: { code: 'argumentLiteralsIncompatible' } }] });
        if (!this.has(item)) return answer({ data: { inventoryItem: null } });
        let level: unknown;
        if (/\binventoryLevel\s*\(/.test(doc)) {
          const loc = gidNumber('Location', argOf(doc, 'inventoryLevel', 'locationId', variables));
          const q = loc === null ? undefined : this.available(item, loc);
          const names = argOf(doc, 'quantities', 'names', variables);
          level =
            q === undefined
              ? null
              : { id: `gid://shopify/InventoryLevel/${item}?inventory_item_id=${item}`, quantities: (Array.isArray(names) ? names : ['available']).map((n) => ({ name: String(n), quantity: n === 'available' || n === 'on_hand' ? q : 0 })) };
        }
        return answer({ data: { inventoryItem: { id: `gid://shopify/InventoryItem/${item}`, ...(level !== undefined ? { inventoryLevel: level } : {}) } } });
      }
      case 'location': {
        const given = argOf(doc, 'location', 'id', variables);
        const id = given === undefined || given === null ? this.primary : gidNumber('Location', given);
        const loc = id === null ? undefined : this.locations.get(id);
        return answer({ data: { location: loc ? { id: `gid://shopify/Location/${loc.id}`, name: loc.name, isActive: loc.active } : null } });
      }
      case 'locations':
        return answer({ data: { locations: { nodes: [...this.locations.values()].map((l) => ({ id: `gid://shopify/Location/${l.id}`, name: l.name, isActive: l.active })) } } });
      default:
        return undefinedField('QueryRoot');
    }
  }

  private setQuantities(input: unknown, answer: (body: Record<string, unknown>) => SimResponse): SimResponse {
    const payload = (group: unknown, userErrors: UserError[]) => answer({ data: { inventorySetQuantities: { inventoryAdjustmentGroup: group, userErrors } } });
    const i = input as { name?: unknown; reason?: unknown; referenceDocumentUri?: unknown; ignoreCompareQuantity?: unknown; quantities?: unknown } | null;
    if (!i || typeof i !== 'object') return answer({ errors: [{ message: 'Variable $input of type InventorySetQuantitiesInput! was provided invalid value', extensions: { code: 'INVALID_VARIABLE' } }] });
    if (typeof i.name !== 'string' || typeof i.reason !== 'string' || !Array.isArray(i.quantities)) {
      return answer({ errors: [{ message: 'Variable $input of type InventorySetQuantitiesInput! was provided invalid value for name, reason or quantities', extensions: { code: 'INVALID_VARIABLE' } }] });
    }
    const errors: UserError[] = [];
    if (i.name !== 'available' && i.name !== 'on_hand') errors.push({ code: 'INVALID_NAME', field: ['input', 'name'], message: "The quantity name must be either 'available' or 'on_hand'." });
    if (!reasons.has(i.reason)) errors.push({ code: 'INVALID_REASON', field: ['input', 'reason'], message: 'The specified reason is invalid.' });
    const uri = i.referenceDocumentUri;
    if (uri !== undefined && uri !== null && (typeof uri !== 'string' || !/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(uri) || (/^gid:/i.test(uri) && !/^gid:\/\/[^/\s]+\/[^/\s]+\/[^/\s]+$/.test(uri)))) {
      errors.push({ code: 'INVALID_REFERENCE_DOCUMENT', field: ['input', 'referenceDocumentUri'], message: 'The specified reference document is invalid.' });
    }
    const ignoreCompare = i.ignoreCompareQuantity === true;
    const sets: { item: number; location: number; quantity: number; compare: number | null; before: number }[] = [];
    i.quantities.forEach((raw: unknown, n) => {
      const q = raw as { inventoryItemId?: unknown; locationId?: unknown; quantity?: unknown; compareQuantity?: unknown } | null;
      const at = (f: string) => ['input', 'quantities', String(n), f];
      const item = gidNumber('InventoryItem', q?.inventoryItemId);
      const location = gidNumber('Location', q?.locationId);
      if (item === null || !this.has(item)) return void errors.push({ code: 'INVALID_INVENTORY_ITEM', field: at('inventoryItemId'), message: 'The specified inventory item could not be found.' });
      if (location === null || !this.locations.has(location)) return void errors.push({ code: 'INVALID_LOCATION', field: at('locationId'), message: 'The specified location could not be found.' });
      const before = this.available(item, location);
      if (before === undefined) return void errors.push({ code: 'ITEM_NOT_STOCKED_AT_LOCATION', field: at('locationId'), message: 'The specified inventory item is not stocked at the location.' });
      if (typeof q?.quantity !== 'number' || !Number.isInteger(q.quantity)) return void errors.push({ code: 'INVALID_QUANTITY_NEGATIVE', field: at('quantity'), message: 'The quantity must be an integer.' });
      if (q.quantity < 0 && i.name === 'on_hand') return void errors.push({ code: 'INVALID_QUANTITY_NEGATIVE', field: at('quantity'), message: "The quantity can't be negative." });
      if (q.quantity > 1_000_000_000) return void errors.push({ code: 'INVALID_QUANTITY_TOO_HIGH', field: at('quantity'), message: "The total quantity can't be higher than 1,000,000,000." });
      const compare = q.compareQuantity;
      if (!ignoreCompare) {
        if (typeof compare !== 'number') return void errors.push({ code: 'COMPARE_QUANTITY_REQUIRED', field: at('compareQuantity'), message: 'The compareQuantity argument must be given to each quantity or ignored using ignoreCompareQuantity.' });
        if (compare !== before) return void errors.push({ code: 'COMPARE_QUANTITY_STALE', field: at('compareQuantity'), message: 'The compareQuantity value does not match persisted value.' });
      }
      sets.push({ item, location, quantity: q.quantity, compare: typeof compare === 'number' ? compare : null, before });
    });
    // All or nothing: one refused quantity leaves every level as it was.
    if (errors.length) return payload(null, errors);
    const f = this.failNext;
    this.failNext = null;
    if (f && f.status < 500) return payload(null, [{ code: f.code ?? 'NON_MUTABLE_INVENTORY_ITEM', field: ['input', 'quantities', '0', 'inventoryItemId'], message: f.message ?? 'Refused' }]);
    if (f && !f.applied) return { status: f.status, body: JSON.stringify({ errors: 'Internal Server Error' }) };
    for (const s of sets) {
      this.stock(s.item, s.location, s.quantity);
      this.writes.push({ inventoryItemId: s.item, locationId: s.location, quantity: s.quantity, compareQuantity: s.compare, reason: i.reason, referenceDocumentUri: typeof uri === 'string' ? uri : null });
    }
    if (f) return { status: f.status, body: JSON.stringify({ errors: 'Internal Server Error' }) };
    const group = {
      id: `gid://shopify/InventoryAdjustmentGroup/${++this.groupSeq}`,
      createdAt: new Date().toISOString(),
      reason: i.reason,
      referenceDocumentUri: typeof uri === 'string' ? uri : null,
      changes: sets.map((s) => ({ name: i.name, delta: s.quantity - s.before, quantityAfterChange: s.quantity })),
    };
    return payload(group, []);
  }
}
