// Where each person's day starts: the page "/" (and so the first page after signing in) opens for them.
import type { Me } from './types.ts';

/** The built-in roles' starting pages, broadest role first: someone with several starts where the broadest does. */
const byRole: readonly [role: string, path: string][] = [
  ['admin', '/dashboard'],
  ['operations', '/dashboard'],
  ['warehouse', '/warehouse'],
  ['finance', '/payments'],
  ['customer_service', '/orders'],
  ['read_only', '/dashboard'],
];

/** The page a principal lands on. Custom roles start where their permissions point; an admin token on the dashboard. */
export function landingPath(me: Me): string {
  const can = (p: string) => me.permissions.includes(p);
  const roles = me.user?.roles ?? [];
  const path =
    byRole.find(([role]) => roles.includes(role))?.[1] ??
    (!me.user
      ? '/dashboard'
      : can('fulfilment.ship')
        ? '/warehouse'
        : can('payments.manage') && !can('orders.modify')
          ? '/payments'
          : can('orders.modify')
            ? '/orders'
            : '/dashboard');
  // The pages that need orders.read fall back to stock for someone who cannot see orders.
  if (path !== '/payments' && !can('orders.read')) return can('stock.read') ? '/stock' : '/approvals';
  return path;
}
