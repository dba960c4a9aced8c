// Every row names its tenant (seller organisation). Until multi-tenant sign-in exists, all work is the default tenant's.
export const DEFAULT_TENANT = 'default';
