// The platform's own id of an order line (issue 17, split ship-back): Taobao's sub-order oid, JD's skuId. A parcel
// that carries part of an order tells the platform which lines it carries by these ids (taobao.logistics.offline.send
// with is_split and sub_tid). Null for lines ingested before, and where the platform has no id per line (PDD).
export const name = 'order_line_platform_id';

export const ddl = `
ALTER TABLE order_lines ADD COLUMN platform_line_id TEXT;
`;
