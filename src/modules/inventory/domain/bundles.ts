// Bundles (组合装) as pure rules: what a definition may say, what an order line of a bundle takes of its components, and
// how many of a bundle can be sold. No I/O: the store reads definitions, these decide.

/** One component of a bundle: this many units of `sku` go into one unit of the bundle. */
export interface BundleComponent {
  sku: string;
  quantity: number;
}

/** Bundles by SKU, each with its components in definition order. */
export type BundleCatalogue = ReadonlyMap<string, readonly BundleComponent[]>;

/** Components a bundle may have at most: a component's shipment line is numbered bundle line × 1000 + its place. */
export const maxComponents = 50;

/** Why a definition is refused, in the seller's words; null when it may be saved. */
export function definitionProblem(
  bundleSku: string,
  components: readonly BundleComponent[],
  facts: { knownSkus: ReadonlySet<string>; bundles: ReadonlySet<string>; componentsOfBundles: ReadonlySet<string> },
): string | null {
  if (components.length === 0) return `bundle ${bundleSku} needs at least one component`;
  if (components.length > maxComponents) return `bundle ${bundleSku} has ${components.length} components; at most ${maxComponents}`;
  const seen = new Set<string>();
  for (const c of components) {
    if (c.sku === bundleSku) return `bundle ${bundleSku} cannot contain itself`;
    if (seen.has(c.sku)) return `component ${c.sku} is named twice; give it once with the total quantity`;
    seen.add(c.sku);
    if (!Number.isSafeInteger(c.quantity) || c.quantity < 1) return `component ${c.sku} needs a whole quantity of at least 1 (got ${c.quantity})`;
    if (!facts.knownSkus.has(c.sku)) return `component ${c.sku} is not a SKU known to the hub`;
    if (facts.bundles.has(c.sku)) return `component ${c.sku} is itself a bundle; a bundle's components must be plain SKUs`;
  }
  // Bundles nest one level only, so a SKU another bundle uses as a component cannot become a bundle (no cycles, ever).
  if (facts.componentsOfBundles.has(bundleSku)) return `${bundleSku} is a component of another bundle, so it cannot be a bundle itself`;
  return null;
}

/** A line to reserve: a plain SKU, or a bundle's component with the bundle it serves. */
export interface StockLine {
  sku: string;
  quantity: number;
  /** The bundle whose line these units serve; null for a plain line. */
  bundleSku: string | null;
}

/**
 * The stock lines an order's lines take: a plain line as it is, a bundle line as its components (line quantity ×
 * component quantity). Components are plain SKUs, so one level is all there is.
 */
export function stockLines(lines: readonly { sku: string; quantity: number }[], bundles: BundleCatalogue): StockLine[] {
  const out: StockLine[] = [];
  for (const l of lines) {
    const components = bundles.get(l.sku);
    if (!components) {
      out.push({ sku: l.sku, quantity: l.quantity, bundleSku: null });
      continue;
    }
    for (const c of components) out.push({ sku: c.sku, quantity: l.quantity * c.quantity, bundleSku: l.sku });
  }
  return out;
}

/**
 * How many of a bundle can be sold: the minimum over its components of ⌊component sellable ÷ component quantity⌋.
 * A component the caller has no figure for counts as 0; a bundle with no components sells nothing.
 */
export function bundleSellable(components: readonly BundleComponent[], sellable: ReadonlyMap<string, number> | ((sku: string) => number)): number {
  if (components.length === 0) return 0;
  const of = typeof sellable === 'function' ? sellable : (sku: string) => sellable.get(sku) ?? 0;
  let min = Number.POSITIVE_INFINITY;
  for (const c of components) min = Math.min(min, Math.floor(Math.max(0, of(c.sku)) / c.quantity));
  return min;
}
