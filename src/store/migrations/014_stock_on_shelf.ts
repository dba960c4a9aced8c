// On-hand counts what is on the shelf (issue 7): a paid order's units stay on hand, reserved, until they ship, so a
// stock count can set on-hand to what was counted. Until now payment took them off on-hand at once; the units of paid
// orders not yet shipped (reservations still `deducted`) go back onto on-hand and into reserved. Available
// (on-hand − reserved) does not change for any row.
export const name = 'stock_on_shelf';

// One pass over reservations, grouped, joined to stock by its key: no per-row sub-select over a table with no index on
// (sku, warehouse).
export const ddl = `
UPDATE stock SET on_hand = stock.on_hand + d.q, reserved = stock.reserved + d.q
FROM (SELECT tenant_id, sku, warehouse, SUM(quantity) AS q FROM reservations WHERE state = 'deducted' GROUP BY tenant_id, sku, warehouse) AS d
WHERE stock.tenant_id = d.tenant_id AND stock.sku = d.sku AND stock.warehouse = d.warehouse;
`;
