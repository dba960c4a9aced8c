// Adding a carrier network's e-waybill account (电子面单): credentials checked by the network's client and encrypted,
// the sender checked, audited, with an event.
import { HubError } from '../../../kernel/errors.ts';
import { newId } from '../../../kernel/ids.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { appendEvent } from '../../../platform/outbox/append.ts';
import { appendAudit } from '../../access/audit.ts';
import { waybillClientFor, supportedNetworks } from '../waybills/networks.ts';
import { senderProblems, toAccountView, type WaybillAccountInput, type WaybillAccountRow, type WaybillAccountView, type WaybillDeps } from '../waybills/views.ts';

export async function createWaybillAccount(deps: WaybillDeps, who: Principal, input: WaybillAccountInput, now = Date.now()): Promise<WaybillAccountView> {
  const client = waybillClientFor(input.network);
  if (!client) throw new HubError('VALIDATION_FAILED', `network must be one of ${supportedNetworks().join(', ')}`, { errors: [`unknown network ${input.network}`] });
  const name = input.name.trim();
  const carrier = input.carrier.trim().toLowerCase();
  const problems = [
    ...(name ? [] : ['name must not be empty']),
    ...(client.carrierCode(carrier) ? [] : [`${client.label} issues no waybills for carrier ${carrier}`]),
    ...client.credentialProblems(input.credentials),
    ...senderProblems(input.sender),
  ];
  if (problems.length) throw new HubError('VALIDATION_FAILED', problems.join('; '), { errors: problems });
  const id = newId(now);
  const sender = { name: input.sender.name.trim(), phone: input.sender.phone.trim(), province: input.sender.province.trim(), city: input.sender.city.trim(), district: input.sender.district.trim(), address: input.sender.address.trim() };
  await deps.db.transaction(async (tx) => {
    await tx.run(`INSERT INTO waybill_accounts (id, tenant_id, network, name, carrier, credentials, sender, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`, [
      id,
      who.tenantId,
      client.network,
      name,
      carrier,
      deps.keyring.encrypt(JSON.stringify(input.credentials)),
      JSON.stringify(sender),
      now,
      now,
    ]);
    await appendAudit(tx, deps.keyring, who, { action: 'waybill_account.create', targetType: 'waybill_account', targetId: id, after: { network: client.network, name, carrier, credentialKeys: Object.keys(input.credentials) } }, now);
    await appendEvent(tx, { tenantId: who.tenantId, type: 'waybill_account.created', aggregateType: 'waybill_account', aggregateId: id, at: now, payload: { id, network: client.network, name, carrier } });
  });
  const row = await deps.db.read.get<WaybillAccountRow>('SELECT * FROM waybill_accounts WHERE id = ?', [id]);
  return toAccountView(deps.keyring, row as WaybillAccountRow);
}
