// Order lines carry their tenant like every other business table (they were reachable only through their order).
export const name = 'line_tenant';

export const ddl = `
ALTER TABLE order_lines ADD COLUMN tenant_id TEXT NOT NULL DEFAULT 'default';
UPDATE order_lines SET tenant_id = (SELECT o.tenant_id FROM orders o WHERE o.id = order_lines.order_id);
`;
