// Tax charged on top of the prices (Shopify and WooCommerce shops that show prices without tax): without it the
// parts of such an order would not add up to the platform's total. Chinese platforms' prices include tax: 0.
export const name = 'tax';

export const ddl = `
ALTER TABLE orders ADD COLUMN tax_amount {{big}} NOT NULL DEFAULT 0;
`;
