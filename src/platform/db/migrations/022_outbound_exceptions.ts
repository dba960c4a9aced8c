// Outbound writes, second slice (issue 17): refusals become exceptions people work (retry, resend corrected, mark
// handled with a note), a ship-back is confirmed when a later pull or push shows the platform's order with our tracking
// number (confirmed_at; unconfirmed_alerted_at: the one alert raised when it stayed unconfirmed too long), and the
// seller's remark and flag (卖家备注/旗帜) kept on the order, to be written back to the platform as an outbound row of
// kind 'remark'. `superseded_by` names the row that replaced this one: a resend, or a newer remark of the same order.
export const name = 'outbound_exceptions';

export const ddl = `
ALTER TABLE outbound_calls ADD COLUMN done_at {{big}};
ALTER TABLE outbound_calls ADD COLUMN confirmed_at {{big}};
ALTER TABLE outbound_calls ADD COLUMN unconfirmed_alerted_at {{big}};
ALTER TABLE outbound_calls ADD COLUMN handled_at {{big}};
ALTER TABLE outbound_calls ADD COLUMN handled_by TEXT;
ALTER TABLE outbound_calls ADD COLUMN handled_note TEXT;
ALTER TABLE outbound_calls ADD COLUMN superseded_by {{big}};
ALTER TABLE outbound_calls ADD COLUMN resend_of {{big}};
CREATE INDEX outbound_calls_unconfirmed ON outbound_calls (kind, state, confirmed_at, done_at);
ALTER TABLE orders ADD COLUMN seller_remark TEXT;
ALTER TABLE orders ADD COLUMN seller_flag INTEGER;
ALTER TABLE orders ADD COLUMN seller_remark_at {{big}};
`;
