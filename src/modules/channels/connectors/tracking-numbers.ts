// The tracking numbers a platform shows on an order, as the connectors read them for the ship-back's closed loop.

/** Non-empty, trimmed, each once, in the order the platform gave them. */
export function distinctNumbers(xs: readonly unknown[]): string[] {
  return [...new Set(xs.filter((x): x is string => typeof x === 'string').map((x) => x.trim()).filter(Boolean))];
}
