// Typed configuration: defaults, then an optional JSON file, then the environment (highest precedence).
import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseApprovalPolicy } from '../modules/access/domain/approvals.ts';
import { parseWriteRates } from '../modules/channels/write-pacing.ts';

export type SqliteSynchronous = 'FULL' | 'NORMAL' | 'EXTRA';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** PostgreSQL connection string; when empty the embedded SQLite file under dataDir is used. */
  databaseUrl: string;
  /** PostgreSQL schema for the hub's tables (default: the connection's search_path, usually public). */
  pgSchema: string;
  /** Bearer token for /api; generated and stored on first start when empty. */
  adminToken: string;
  logLevel: string;
  /** Minutes an unpaid order holds its reservation before it is cancelled. */
  paymentTimeoutMinutes: number;
  /** Largest request body accepted, in bytes (platform pushes can be several MB). */
  bodyLimitBytes: number;
  /** Allowed clock skew of signed pushes, in seconds. */
  signatureToleranceSeconds: number;
  /** Seconds a client has to send the request line and headers; a slower one is answered 408 and closed. */
  headersTimeoutSeconds: number;
  /** Seconds a client has to send a whole request, body included (at least headersTimeoutSeconds). */
  requestTimeoutSeconds: number;
  /** Seconds an idle keep-alive connection stays open between requests. */
  keepAliveTimeoutSeconds: number;
  /** Seconds a connection may carry nothing either way (a request in progress included) before it is closed. */
  idleTimeoutSeconds: number;
  sqliteSynchronous: SqliteSynchronous;
  /** Run SQLite writes in their own thread so commits never stall HTTP (serve only). */
  sqliteWriterThread: boolean;
  /** Share of on-hand stock offered for sale (0..1), before safety stock. */
  sellableRatio: number;
  /** Time zone of the seller: order numbers and "today" follow it. */
  timezone: string;
  /** Most orders committed together in one transaction (group commit). */
  ingestBatchMax: number;
  /** Transactions that may run at once on PostgreSQL (SQLite always has one writer). */
  pgWriteLanes: number;
  pgPoolSize: number;
  /** Public base URL, used to show webhook URLs to paste into platforms. */
  publicUrl: string;
  /** Data keys `id:base64,…` (first one encrypts); empty: `<dataDir>/keys`, created on first start. */
  dataKeys: string;
  /** Hours a console session lasts after sign-in. */
  sessionHours: number;
  /** Mark the session cookie Secure (browsers still accept it on http://localhost). Off only for plain-HTTP LANs. */
  cookieSecure: boolean;
  /** Wrong passwords in a row before an account is locked, and for how many minutes. */
  lockoutThreshold: number;
  lockoutMinutes: number;
  /** Sign-in attempts per minute from one address. */
  signInPerMinute: number;
  /** Operations that wait for a second person's approval: `all`, `none`, or a comma-separated list of kinds. */
  approvals: string;
  /** Hours an approval request stays open. */
  approvalHours: number;
  /** `serve --demo` (what npm start runs) sets up the demo organisation on a fresh database; false switches it off. */
  demo: boolean;
  /** Orders per minute the demo simulator sends. */
  demoRate: number;
  /** Seconds between pulls of each channel account (the safety net under pushes); 0 switches scheduled pulls off. */
  pullIntervalSeconds: number;
  /** Minutes each pull reaches back behind the last one, so orders modified at a window's edge are not lost. */
  pullOverlapMinutes: number;
  /** Hours the first pull of a new account reaches back. */
  pullLookbackHours: number;
  /** Hours between listing pulls (商品下载) of each channel account (a new one at once); 0 switches scheduled listing pulls off. */
  listingPullIntervalHours: number;
  /** Payment queries tried before the payment timeout closes an order without the provider's answer. */
  paymentQueryAttempts: number;
  /** Hours a requested refund may go unconfirmed before it is a REFUND_STUCK exception. */
  refundStuckHours: number;
  /** Minutes a ship-back the platform took may stay unconfirmed by a pull or push before it raises an alert. */
  shipBackConfirmMinutes: number;
  /** Route paid orders to warehouses on a schedule (the same routing as POST /api/routing/run); false: only when asked. */
  autoRouting: boolean;
  /** Seconds between automatic routing passes. */
  autoRoutingIntervalSeconds: number;
  /** Minutes a paid order waits before it is routed, so related orders of the same buyer can still join its parcel. */
  autoRoutingMergeWindowMinutes: number;
  /** Minutes before an order that could not be routed (no stock, no capacity …) is tried again. */
  autoRoutingRetryMinutes: number;
  /** Orders routed in one transaction. */
  autoRoutingBatchSize: number;
  /**
   * Seconds a job lease lives without renewal (renewed every third of it): how long a background job of a hub process that
   * died waits before another process on the same database takes it over.
   */
  leaseTtlSeconds: number;
  /**
   * Milliseconds a listing's stock changes are gathered into one platform write (库存同步); with the worker's pass and
   * the call this keeps a change on the platform within 5 s. A listing going to 0 is not held back.
   */
  stockSyncGatherMs: number;
  /** Minutes between full stock pushes (every matched listing written again, repairing drift); 0 switches them off. */
  stockSyncFullPushMinutes: number;
  /** Days the platform call log keeps each request the hub made to a platform (pruned hourly). */
  callLogDays: number;
  /**
   * How fast writes (ship-back, remarks, stock) go to each platform, per channel account, where the default beside its
   * connector does not fit the app's quota: `shopify=18/360,taobao=10,woocommerce=off` (requests per second, optional
   * burst, or off). Empty: every platform at its default.
   */
  platformWriteRates: string;
  /** Where the configuration file was read from, if any. */
  configFile: string | null;
}

export const defaults: Omit<Config, 'configFile'> = {
  port: 3000,
  host: '127.0.0.1',
  dataDir: './data',
  databaseUrl: '',
  pgSchema: '',
  adminToken: '',
  logLevel: 'info',
  paymentTimeoutMinutes: 15,
  bodyLimitBytes: 10 * 1024 * 1024,
  signatureToleranceSeconds: 300,
  headersTimeoutSeconds: 15,
  requestTimeoutSeconds: 60,
  keepAliveTimeoutSeconds: 5,
  idleTimeoutSeconds: 120,
  sqliteSynchronous: 'FULL',
  sqliteWriterThread: true,
  sellableRatio: 1,
  timezone: 'Asia/Shanghai',
  ingestBatchMax: 32,
  pgWriteLanes: 4,
  pgPoolSize: 10,
  publicUrl: '',
  dataKeys: '',
  sessionHours: 12,
  cookieSecure: true,
  lockoutThreshold: 5,
  lockoutMinutes: 15,
  signInPerMinute: 10,
  approvals: 'all',
  approvalHours: 72,
  demo: true,
  demoRate: 30,
  pullIntervalSeconds: 300,
  pullOverlapMinutes: 60,
  pullLookbackHours: 24,
  listingPullIntervalHours: 6,
  paymentQueryAttempts: 5,
  refundStuckHours: 24,
  shipBackConfirmMinutes: 30,
  autoRouting: true,
  autoRoutingIntervalSeconds: 60,
  autoRoutingMergeWindowMinutes: 5,
  autoRoutingRetryMinutes: 30,
  autoRoutingBatchSize: 200,
  leaseTtlSeconds: 30,
  stockSyncGatherMs: 1000,
  stockSyncFullPushMinutes: 30,
  callLogDays: 14,
  platformWriteRates: '',
};

/** Environment variable for each key. */
const envNames: Record<keyof typeof defaults, string> = {
  port: 'PORT',
  host: 'HOST',
  dataDir: 'ORDERHUB_DATA_DIR',
  databaseUrl: 'DATABASE_URL',
  pgSchema: 'ORDERHUB_PG_SCHEMA',
  adminToken: 'ORDERHUB_ADMIN_TOKEN',
  logLevel: 'LOG_LEVEL',
  paymentTimeoutMinutes: 'ORDERHUB_PAYMENT_TIMEOUT_MINUTES',
  bodyLimitBytes: 'ORDERHUB_BODY_LIMIT_BYTES',
  signatureToleranceSeconds: 'ORDERHUB_SIGNATURE_TOLERANCE_SECONDS',
  headersTimeoutSeconds: 'ORDERHUB_HEADERS_TIMEOUT_SECONDS',
  requestTimeoutSeconds: 'ORDERHUB_REQUEST_TIMEOUT_SECONDS',
  keepAliveTimeoutSeconds: 'ORDERHUB_KEEP_ALIVE_TIMEOUT_SECONDS',
  idleTimeoutSeconds: 'ORDERHUB_IDLE_TIMEOUT_SECONDS',
  sqliteSynchronous: 'ORDERHUB_SQLITE_SYNCHRONOUS',
  sqliteWriterThread: 'ORDERHUB_SQLITE_WRITER_THREAD',
  sellableRatio: 'ORDERHUB_SELLABLE_RATIO',
  timezone: 'ORDERHUB_TIMEZONE',
  ingestBatchMax: 'ORDERHUB_INGEST_BATCH_MAX',
  pgWriteLanes: 'ORDERHUB_PG_WRITE_LANES',
  pgPoolSize: 'ORDERHUB_PG_POOL_SIZE',
  publicUrl: 'ORDERHUB_PUBLIC_URL',
  dataKeys: 'ORDERHUB_DATA_KEYS',
  sessionHours: 'ORDERHUB_SESSION_HOURS',
  cookieSecure: 'ORDERHUB_COOKIE_SECURE',
  lockoutThreshold: 'ORDERHUB_LOCKOUT_THRESHOLD',
  lockoutMinutes: 'ORDERHUB_LOCKOUT_MINUTES',
  signInPerMinute: 'ORDERHUB_SIGN_IN_PER_MINUTE',
  approvals: 'ORDERHUB_APPROVALS',
  approvalHours: 'ORDERHUB_APPROVAL_HOURS',
  demo: 'ORDERHUB_DEMO',
  demoRate: 'ORDERHUB_DEMO_RATE',
  pullIntervalSeconds: 'ORDERHUB_PULL_INTERVAL_SECONDS',
  pullOverlapMinutes: 'ORDERHUB_PULL_OVERLAP_MINUTES',
  pullLookbackHours: 'ORDERHUB_PULL_LOOKBACK_HOURS',
  listingPullIntervalHours: 'ORDERHUB_LISTING_PULL_INTERVAL_HOURS',
  paymentQueryAttempts: 'ORDERHUB_PAYMENT_QUERY_ATTEMPTS',
  refundStuckHours: 'ORDERHUB_REFUND_STUCK_HOURS',
  shipBackConfirmMinutes: 'ORDERHUB_SHIP_BACK_CONFIRM_MINUTES',
  autoRouting: 'ORDERHUB_AUTO_ROUTING',
  autoRoutingIntervalSeconds: 'ORDERHUB_AUTO_ROUTING_INTERVAL_SECONDS',
  autoRoutingMergeWindowMinutes: 'ORDERHUB_AUTO_ROUTING_MERGE_WINDOW_MINUTES',
  autoRoutingRetryMinutes: 'ORDERHUB_AUTO_ROUTING_RETRY_MINUTES',
  autoRoutingBatchSize: 'ORDERHUB_AUTO_ROUTING_BATCH_SIZE',
  leaseTtlSeconds: 'ORDERHUB_LEASE_TTL_SECONDS',
  stockSyncGatherMs: 'ORDERHUB_STOCK_SYNC_GATHER_MS',
  stockSyncFullPushMinutes: 'ORDERHUB_STOCK_SYNC_FULL_PUSH_MINUTES',
  callLogDays: 'ORDERHUB_CALL_LOG_DAYS',
  platformWriteRates: 'ORDERHUB_PLATFORM_WRITE_RATES',
};

export class ConfigError extends Error {}

function coerce<K extends keyof typeof defaults>(key: K, raw: unknown, origin: string): (typeof defaults)[K] {
  const fallback = defaults[key];
  const fail = (why: string): never => {
    throw new ConfigError(`${origin}: ${why} (got ${JSON.stringify(raw)})`);
  };
  if (typeof fallback === 'boolean') {
    if (typeof raw === 'boolean') return raw as (typeof defaults)[K];
    const v = String(raw).trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return true as (typeof defaults)[K];
    if (['0', 'false', 'no', 'off'].includes(v)) return false as (typeof defaults)[K];
    return fail('must be true or false');
  }
  if (typeof fallback === 'number') {
    const n = typeof raw === 'number' ? raw : Number(String(raw).trim());
    if (!Number.isFinite(n) || String(raw).trim() === '') fail('must be a number');
    if (key === 'sellableRatio') {
      if (n <= 0 || n > 1) fail('must be greater than 0 and at most 1');
    } else if (!Number.isInteger(n) || n < 0) {
      fail('must be a whole number, 0 or more');
    }
    if (key === 'port' && n > 65535) fail('must be a port number');
    if (key === 'autoRoutingBatchSize' && n > 5000) fail('must be at most 5000');
    if (
      (key === 'ingestBatchMax' || key === 'pgWriteLanes' || key === 'pgPoolSize' || key === 'sessionHours' || key === 'lockoutThreshold' ||
        key === 'signInPerMinute' || key === 'approvalHours' || key === 'autoRoutingIntervalSeconds' || key === 'autoRoutingBatchSize' ||
        key === 'leaseTtlSeconds' || key === 'callLogDays' ||
        key === 'headersTimeoutSeconds' || key === 'requestTimeoutSeconds' || key === 'keepAliveTimeoutSeconds' || key === 'idleTimeoutSeconds') &&
      n < 1
    ) {
      fail('must be at least 1');
    }
    return n as (typeof defaults)[K];
  }
  const s = String(raw);
  if (key === 'sqliteSynchronous') {
    const up = s.toUpperCase();
    if (up !== 'FULL' && up !== 'NORMAL' && up !== 'EXTRA') fail('must be FULL, NORMAL or EXTRA');
    return up as (typeof defaults)[K];
  }
  if (key === 'pgSchema' && s !== '' && !/^[a-z_][a-z0-9_]{0,62}$/.test(s)) {
    fail('must be a lower-case SQL identifier');
  }
  if (key === 'platformWriteRates') {
    try {
      parseWriteRates(s);
    } catch (e) {
      fail((e as Error).message);
    }
  }
  if (key === 'approvals') {
    try {
      parseApprovalPolicy(s);
    } catch (e) {
      fail((e as Error).message);
    }
  }
  if (key === 'timezone') {
    try {
      new Intl.DateTimeFormat('en', { timeZone: s });
    } catch {
      fail('is not a known IANA time zone');
    }
  }
  return s as (typeof defaults)[K];
}

/** Reads the effective configuration. `env` and `cwd` are parameters so tests can pass their own. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const out: Record<string, unknown> = { ...defaults };
  const explicit = env.ORDERHUB_CONFIG;
  const candidate = explicit ? resolve(cwd, explicit) : resolve(cwd, 'orderhub.config.json');
  let configFile: string | null = null;
  if (existsSync(candidate)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(candidate, 'utf8'));
    } catch (e) {
      throw new ConfigError(`${candidate}: not valid JSON (${(e as Error).message})`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError(`${candidate}: must hold a JSON object`);
    }
    for (const [k, v] of Object.entries(parsed)) {
      if (!(k in defaults)) throw new ConfigError(`${candidate}: unknown setting "${k}"`);
      out[k] = coerce(k as keyof typeof defaults, v, `${candidate} ${k}`);
    }
    configFile = candidate;
  } else if (explicit) {
    throw new ConfigError(`ORDERHUB_CONFIG points to ${candidate}, which does not exist`);
  }
  for (const key of Object.keys(envNames) as (keyof typeof defaults)[]) {
    const v = env[envNames[key]];
    if (v !== undefined && v !== '') out[key] = coerce(key, v, envNames[key]);
  }
  const config = { ...(out as Omit<Config, 'configFile'>), configFile };
  // Node refuses to start a server whose headers may take longer than the whole request.
  if (config.headersTimeoutSeconds > config.requestTimeoutSeconds) {
    throw new ConfigError(
      `${envNames.headersTimeoutSeconds} (${config.headersTimeoutSeconds}) must not exceed ${envNames.requestTimeoutSeconds} (${config.requestTimeoutSeconds})`,
    );
  }
  return config;
}

/** The configuration as `orderhub config` prints it: secrets replaced, passwords cut out of URLs. */
export function describeConfig(config: Config): Record<string, { value: unknown; env: string | null }> {
  const out: Record<string, { value: unknown; env: string | null }> = {};
  for (const key of Object.keys(config) as (keyof Config)[]) {
    let value: unknown = config[key];
    if (key === 'adminToken') value = value ? '(set, hidden)' : '(not set: generated and stored on first start)';
    if (key === 'dataKeys') value = value ? '(set, hidden)' : '(not set: <dataDir>/keys, created on first start)';
    if (key === 'databaseUrl') value = value ? maskUrlPassword(String(value)) : '(empty: embedded SQLite)';
    out[key] = { value, env: key === 'configFile' ? 'ORDERHUB_CONFIG' : envNames[key as keyof typeof defaults] };
  }
  return out;
}

export function maskUrlPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL, hidden)';
  }
}
