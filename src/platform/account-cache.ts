// What the three kinds of account (channel, payment, tracking) share: a short-lived cache for the push paths, which
// look an account up on every delivery, and credentials that change field by field.

/** Accounts read on a push path, kept a few seconds: a credential change takes effect within that time. */
export class AccountCache<A> {
  private readonly entries = new Map<string, { account: A | null; until: number }>();

  constructor(
    private readonly load: (id: string) => Promise<A | null>,
    private readonly ttlMs = 5_000,
  ) {}

  async get(id: string, now = Date.now()): Promise<A | null> {
    const hit = this.entries.get(id);
    if (hit && hit.until > now) return hit.account;
    const account = await this.load(id);
    if (this.entries.size > 10_000) this.entries.clear();
    this.entries.set(id, { account, until: now + this.ttlMs });
    return account;
  }

  /** Drops an entry: the account changed here, or in another thread. */
  forget(id: string): void {
    this.entries.delete(id);
  }
}

/** Secrets are never shown, so a form sends only the fields that were typed; a null removes a field. */
export function mergeCredentials(current: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries({ ...current, ...patch }).filter(([, v]) => v !== null));
}
