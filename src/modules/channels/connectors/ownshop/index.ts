// Own web shop push: X-Orderhub-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + rawBody)>.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { HubError } from '../../../../kernel/errors.ts';
import { orderArithmeticProblems, type NormalizedOrder } from '../../../orders/domain/order.ts';
import { parseIsoInstant } from '../../../../kernel/time.ts';
import { headerValue, type ChannelAdapter } from '../types.ts';
import { OwnshopOrder, type OwnshopOrderBody } from './schema.ts';
import { ownshopStatuses } from './status.ts';

export interface OwnshopCredentials {
  secret: string;
}

const checkBody = TypeCompiler.Compile(OwnshopOrder);
const eventIdPattern = /^[\x21-\x7e]{1,200}$/;

function signatureCandidates(header: string): Buffer[] {
  // Several `v1=` entries may be sent while a secret is being rotated.
  const out: Buffer[] = [];
  for (const part of header.split(',')) {
    const [scheme, value] = part.trim().split('=', 2);
    if (scheme === 'v1' && value && /^[0-9a-fA-F]{64}$/.test(value)) out.push(Buffer.from(value, 'hex'));
  }
  return out;
}

export const ownshop: ChannelAdapter<OwnshopCredentials> = {
  platform: 'ownshop',
  label: 'Own web shop',
  pushDescription: 'X-Orderhub-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + rawBody)>.',
  statusDictionary: ownshopStatuses,
  // The own shop's buyers pay through the hub's payment accounts (payments module): the hub's total is what is charged.
  priceChange: 'the hub’s total is what its payment accounts charge the buyer (the own shop takes no payment of its own)',
  credentialFields: [{ name: 'secret', label: 'Signing secret', secret: true, hint: 'HMAC-SHA256 key your shop signs pushes with' }],

  credentialProblems(c) {
    const secret = (c as { secret?: unknown } | null)?.secret;
    if (typeof secret !== 'string' || secret.length === 0) return ['credentials.secret must be a non-empty string'];
    if (secret.length > 512) return ['credentials.secret is longer than 512 characters'];
    return [];
  },

  verifyPush(req, credentials, toleranceSeconds) {
    const sigHeader = headerValue(req.headers['x-orderhub-signature']);
    if (!sigHeader) throw new HubError('SIGNATURE_MISSING', 'X-Orderhub-Signature header is required');
    const tsHeader = headerValue(req.headers['x-orderhub-timestamp']);
    if (!tsHeader || !/^\d{1,12}$/.test(tsHeader)) {
      throw new HubError('TIMESTAMP_INVALID', 'X-Orderhub-Timestamp must be unix seconds');
    }
    const candidates = signatureCandidates(sigHeader);
    if (candidates.length === 0) {
      throw new HubError('SIGNATURE_INVALID', 'X-Orderhub-Signature must look like v1=<64 hex characters>');
    }
    const expected = createHmac('sha256', credentials.secret).update(`${tsHeader}.`).update(req.rawBody).digest();
    if (!candidates.some((c) => c.length === expected.length && timingSafeEqual(c, expected))) {
      throw new HubError('SIGNATURE_INVALID', 'signature does not match the body');
    }
    const skew = Math.abs(req.now / 1000 - Number(tsHeader));
    if (skew > toleranceSeconds) {
      throw new HubError('TIMESTAMP_OUT_OF_WINDOW', `timestamp is ${Math.round(skew)} s away from now (allowed ±${toleranceSeconds} s)`);
    }
    const eventId = headerValue(req.headers['x-orderhub-event-id']);
    if (!eventId) throw new HubError('EVENT_ID_MISSING', 'X-Orderhub-Event-Id header is required');
    if (!eventIdPattern.test(eventId)) {
      throw new HubError('VALIDATION_FAILED', 'X-Orderhub-Event-Id must be 1–200 visible ASCII characters');
    }
    return { eventId, keptHeaders: { 'x-orderhub-event-id': eventId, 'x-orderhub-timestamp': tsHeader } };
  },

  parsePush(rawBody) {
    let body: unknown;
    try {
      body = JSON.parse(rawBody.toString('utf8'));
    } catch (e) {
      // V8's message quotes the text around the fault (all of a short body: phones, addresses); say where, not what.
      const at = /position (\d+)/.exec((e as Error).message)?.[1];
      throw new HubError('BODY_INVALID_JSON', `body is not valid JSON${at ? ` (at byte ${at})` : ''}`);
    }
    if (!checkBody.Check(body)) {
      const errors = [...checkBody.Errors(body)].slice(0, 10).map((err) => ({ path: err.path || '/', message: err.message }));
      const first = errors[0];
      throw new HubError('VALIDATION_FAILED', `order is not valid: ${first ? `${first.path} ${first.message}` : 'unknown problem'}`, {
        errors,
      });
    }
    return [normalise(body)];
  },

  successBody() {
    return { ok: true };
  },
};

function normalise(b: OwnshopOrderBody): NormalizedOrder {
  const createdAt = parseIsoInstant(b.createdAt);
  const updatedAt = parseIsoInstant(b.updatedAt);
  const problems: { path: string; message: string }[] = [];
  if (createdAt === null) problems.push({ path: '/createdAt', message: 'must be ISO 8601 with an offset' });
  if (updatedAt === null) problems.push({ path: '/updatedAt', message: 'must be ISO 8601 with an offset' });
  const order: NormalizedOrder = {
    platformOrderId: b.orderId,
    status: ownshopStatuses[b.status as keyof typeof ownshopStatuses].anchor,
    platformStatus: b.status,
    platformCreatedAt: createdAt ?? 0,
    sourceUpdatedAt: updatedAt ?? 0,
    currency: b.currency,
    buyer: { id: b.buyer?.id, name: b.buyer?.name, phone: b.buyer?.phone },
    receiver: { ...b.receiver },
    lines: b.lines.map((l) => ({
      sku: l.sku,
      title: l.title ?? '',
      quantity: l.quantity,
      unitPrice: l.unitPrice,
      discount: l.discount ?? 0,
    })),
    shippingFee: b.shippingFee ?? 0,
    discountPlatform: b.discounts?.platform ?? 0,
    discountSeller: b.discounts?.seller ?? 0,
    paidAmount: b.paidAmount ?? 0,
  };
  if (createdAt !== null && updatedAt !== null && updatedAt < createdAt) {
    problems.push({ path: '/updatedAt', message: 'is earlier than createdAt' });
  }
  for (const p of orderArithmeticProblems(order)) problems.push({ path: '/', message: p });
  if (problems.length) {
    const first = problems[0] as { path: string; message: string };
    throw new HubError('VALIDATION_FAILED', `order is not valid: ${first.path} ${first.message}`, { errors: problems });
  }
  return order;
}
