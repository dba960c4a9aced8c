// Shopify's GraphQL Admin API: POST /admin/api/{version}/graphql.json with the X-Shopify-Access-Token header and a
// JSON body {query, operationName, variables} (shopify.dev/docs/api/admin-graphql). Limits are a cost bucket per app
// and shop (shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits): a throttled call answers 200 with
// errors[].extensions.code THROTTLED and extensions.cost.throttleStatus (currentlyAvailable, restoreRate), or an HTTP
// 429; both are retryable, after as long as the bucket needs to refill for the query's requested cost.
import { PlatformWriteError, type CallContext } from '../types.ts';
import { sendPlatformRequest } from '../write-http.ts';
import { shopifyApiVersion, type ShopifyPullCredentials } from './pull.ts';

interface GraphqlError {
  message?: string;
  extensions?: { code?: string };
}

interface Cost {
  requestedQueryCost?: number;
  throttleStatus?: { maximumAvailable?: number; currentlyAvailable?: number; restoreRate?: number };
}

interface GraphqlBody {
  data?: unknown;
  errors?: GraphqlError[] | string;
  extensions?: { cost?: Cost };
}

/** How long until the bucket holds the query's cost again (at least a second; Shopify restores points per second). */
export function throttleWaitMs(cost: Cost | undefined): number {
  const s = cost?.throttleStatus;
  const want = cost?.requestedQueryCost ?? 0;
  if (!s || typeof s.currentlyAvailable !== 'number' || typeof s.restoreRate !== 'number' || s.restoreRate <= 0) return 2000;
  return Math.max(1000, Math.ceil(((want - s.currentlyAvailable) / s.restoreRate) * 1000));
}

/** Gateway errors Shopify answers with a code where trying again later can help. */
const retryableCodes = new Set(['THROTTLED', 'INTERNAL_SERVER_ERROR', 'SERVICE_UNAVAILABLE', 'TIMEOUT']);

/** One GraphQL Admin call; answers `data`. A refusal (a 4xx but 429, an access or query error) is refused; a limit or a 5xx retryable. */
export async function shopifyGraphql<T>(ctx: CallContext<ShopifyPullCredentials>, operationName: string, query: string, variables: Record<string, unknown>): Promise<{ data: T; status: number }> {
  const { accessToken, shopDomain } = ctx.credentials;
  if (!accessToken) throw new PlatformWriteError('CREDENTIALS_MISSING', 'an Admin API access token (read_inventory, write_inventory, read_locations) is needed', { refused: true });
  const base = (ctx.credentials.apiBase ?? `https://${shopDomain}`).replace(/\/+$/, '');
  const res = await sendPlatformRequest(ctx, 'Shopify', `${base}/admin/api/${shopifyApiVersion}/graphql.json`, {
    method: 'POST',
    headers: { 'x-shopify-access-token': accessToken, accept: 'application/json', 'content-type': 'application/json' },
    body: JSON.stringify({ query, operationName, variables }),
    op: `graphql ${operationName}`,
  });
  const body = (res.body ?? null) as GraphqlBody | null;
  const errors = Array.isArray(body?.errors) ? body.errors : [];
  const text = typeof body?.errors === 'string' ? body.errors : errors.map((e) => e.message ?? e.extensions?.code ?? '').filter(Boolean).join('; ').slice(0, 500);
  if (res.status === 429) {
    throw new PlatformWriteError('THROTTLED', text || 'Shopify throttled the call (HTTP 429)', { status: 429, retryAfterMs: res.retryAfterMs ?? throttleWaitMs(body?.extensions?.cost) });
  }
  if (!res.ok) throw new PlatformWriteError(`HTTP_${res.status}`, text || `HTTP ${res.status}`, { refused: res.status < 500, status: res.status });
  const code = errors.find((e) => e.extensions?.code)?.extensions?.code;
  if (code === 'THROTTLED') throw new PlatformWriteError('THROTTLED', text || 'Throttled', { status: res.status, retryAfterMs: throttleWaitMs(body?.extensions?.cost) });
  // Errors without data: the document or the access was refused (partial data with errors is read as given).
  if (errors.length && (body?.data === undefined || body.data === null)) {
    throw new PlatformWriteError(code ?? 'GRAPHQL_ERROR', text || 'Shopify answered with errors', { refused: !retryableCodes.has(code ?? ''), status: res.status });
  }
  if (!body || typeof body.data !== 'object' || body.data === null) throw new PlatformWriteError('INVALID_RESPONSE', 'Shopify answered without data');
  return { data: body.data as T, status: res.status };
}

/** A Shopify global id from a numeric id (or the gid as given). */
export function shopifyGid(kind: 'InventoryItem' | 'Location', id: string): string {
  return /^\d{1,20}$/.test(id) ? `gid://shopify/${kind}/${id}` : id;
}

/** True for a numeric id or a gid of that kind. */
export function isShopifyId(kind: 'InventoryItem' | 'Location', v: unknown): v is string {
  return typeof v === 'string' && (/^\d{1,20}$/.test(v) || new RegExp(`^gid://shopify/${kind}/\\d{1,20}$`).test(v));
}
