// The seller organisations (tenants) this hub holds: every one with a user or an audited action (every change is
// audited, so an organisation with data has an audit chain). The CLI names them when a command finds nothing in the
// organisation it was pointed at.
import type { PeopleDeps } from '../deps.ts';

export async function listOrganisations(deps: Pick<PeopleDeps, 'db'>): Promise<string[]> {
  const rows = await deps.db.read.all<{ tenant_id: string }>('SELECT tenant_id FROM users UNION SELECT tenant_id FROM audit_heads ORDER BY tenant_id');
  return rows.map((r) => r.tenant_id);
}
