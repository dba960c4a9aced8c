// Deleting a channel account or a user after its second approval: the row stays (orders and the audit log point
// at it), marked deleted; a deleted account's credentials are erased.
export const name = 'deletions';

export const ddl = `
ALTER TABLE channel_accounts ADD COLUMN deleted_at {{big}};
ALTER TABLE users ADD COLUMN deleted_at {{big}};
`;
