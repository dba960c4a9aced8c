// Who may do what: permissions named per action and the built-in roles. Pure data. (What a principal may see — its
// data scope — is kernel/scope.ts.)
export const permissions = {
  'orders.read': 'See orders, their history and reservations (personal data masked)',
  'orders.modify': 'Move orders along the status anchor, retry reservations',
  'orders.cancel_paid': 'Cancel an order that is already paid (needs a second approval)',
  'orders.export': 'Export order lists',
  'prices.change': 'Change the price of an order line before payment (needs a second approval)',
  'stock.read': 'See stock levels',
  'stock.adjust': 'Set stock counts and map platform SKUs (bulk adjustments need a second approval)',
  'accounts.read': 'See channel accounts (credentials are never shown)',
  'accounts.manage': 'Add, change and delete channel accounts (deleting needs a second approval)',
  'webhooks.manage': 'Register and remove outbound webhooks, read the event log',
  'refunds.approve': 'Approve refunds: request one, approve or decline a refund proposal',
  'payments.read': 'See payment accounts (credentials are never shown), payment notices and the payment exceptions queue',
  'payments.manage': 'Add and change payment accounts, resolve payment exceptions, ask a provider again about a payment',
  'fulfilment.configure': 'Edit routing rules, warehouse attributes (regions, capacity, customs, carriers) and SKU fulfilment traits',
  'fulfilment.route': 'Route paid orders to warehouses: dry runs and committed dispatch plans',
  'fulfilment.ship': 'Warehouse work: waves, pick lists, pack by scanning, ship with a tracking number',
  'tracking.manage': 'Add and change tracking source accounts (Kuaidi100, AfterShip, 17TRACK; credentials are never shown)',
  'pii.view': 'See full phone numbers and addresses (every view is audited)',
  'users.manage': 'Manage users, roles and API tokens',
  'audit.read': 'Read the audit log',
  'approvals.decide': 'Approve or reject requests that need a second approval (never one’s own)',
} as const;

export type Permission = keyof typeof permissions;
export const allPermissions = Object.keys(permissions) as Permission[];

export function isPermission(p: string): p is Permission {
  return Object.hasOwn(permissions, p);
}

export interface RoleDefinition {
  name: string;
  description: string;
  permissions: readonly Permission[];
  builtin: boolean;
}

const builtin = (name: string, description: string, perms: readonly Permission[]): RoleDefinition => ({
  name,
  description,
  permissions: perms,
  builtin: true,
});

/** The roles every hub has. Custom roles are stored per tenant and may not reuse these names. */
export const builtinRoles: readonly RoleDefinition[] = [
  builtin('admin', 'Everything', allPermissions),
  builtin('operations', 'Operations (运营): orders, stock, channel accounts', [
    'orders.read',
    'orders.modify',
    'orders.cancel_paid',
    'orders.export',
    'prices.change',
    'stock.read',
    'stock.adjust',
    'accounts.read',
    'accounts.manage',
    'approvals.decide',
    'payments.read',
    'fulfilment.configure',
    'fulfilment.route',
    'tracking.manage',
  ]),
  builtin('customer_service', 'Customer service (客服): find orders, see the buyer, act on one order', [
    'orders.read',
    'orders.modify',
    'stock.read',
    'pii.view',
  ]),
  builtin('warehouse', 'Warehouse (仓库): stock and the orders to ship', ['orders.read', 'stock.read', 'stock.adjust', 'pii.view', 'fulfilment.route', 'fulfilment.ship']),
  builtin('finance', 'Finance (财务): orders, exports, refunds', ['orders.read', 'orders.export', 'refunds.approve', 'payments.read', 'payments.manage', 'audit.read', 'approvals.decide']),
  builtin('read_only', 'Read only', ['orders.read', 'stock.read', 'accounts.read']),
];

export function builtinRole(name: string): RoleDefinition | undefined {
  return builtinRoles.find((r) => r.name === name);
}
