// On-hand counts what is on the shelf (issue 7): a paid order's units stay on hand, reserved, until they ship, so a
// stock count can set on-hand to what was counted. Until now payment took them off on-hand at once; the units of paid
// orders not yet shipped (reservations still `deducted`) go back onto on-hand and into reserved. Available
// (on-hand − reserved) does not change for any row.
export const name = 'stock_on_shelf';

// Only orders still `paid` have their units on the shelf. A `deducted` reservation of an order that is past paid
// (shipped by the seller from the platform's back office, so the hub's flow never marked it) left the shelf already:
// it becomes `shipped`, and stock does not move for it — otherwise its units would stay reserved for ever.
// One pass over reservations, grouped, joined to stock by its key: no per-row sub-select over a table with no index on
// (sku, warehouse).
export const ddl = `
UPDATE stock SET on_hand = stock.on_hand + d.q, reserved = stock.reserved + d.q
FROM (SELECT r.tenant_id, r.sku, r.warehouse, SUM(r.quantity) AS q FROM reservations r JOIN orders o ON o.id = r.order_id
      WHERE r.state = 'deducted' AND o.status = 'paid' GROUP BY r.tenant_id, r.sku, r.warehouse) AS d
WHERE stock.tenant_id = d.tenant_id AND stock.sku = d.sku AND stock.warehouse = d.warehouse;
UPDATE reservations SET state = 'shipped' WHERE state = 'deducted' AND order_id IN (SELECT id FROM orders WHERE status <> 'paid');
`;
