// The one small interface every platform adapter implements. Adapters translate; they decide nothing.
import type { NormalizedOrder } from '../domain/order.ts';

export interface PushRequest {
  /** Lower-cased header names. */
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
  now: number;
  /** The URL the platform called, as registered with it (public base + path): Shopee signs it. */
  url: string;
}

export interface VerifiedPush {
  /** The delivery's own id: a redelivery carries the same one. */
  eventId: string;
  /** Headers worth keeping with the raw event (no secrets). */
  keptHeaders: Record<string, string>;
  /** A platform's check that the URL answers (e.g. WooCommerce's creation ping): answered, nothing stored. */
  ping?: boolean;
}

export interface ChannelAdapter<Credentials = unknown> {
  readonly platform: string;
  /** The platform's name for people, e.g. "Shopify". */
  readonly label: string;
  /** How the platform signs and what it expects back, for the API document. */
  readonly pushDescription: string;
  /** Problems with credentials given for a new account; empty when usable. */
  credentialProblems(credentials: unknown): string[];
  /** Checks a push exactly as the platform signs it, against the raw bytes; throws HubError when it fails. */
  verifyPush(req: PushRequest, credentials: Credentials, toleranceSeconds: number): VerifiedPush;
  /**
   * Parses a verified push into orders as the platform sees them (none for a delivery that carries no order, such as
   * a refund notice); throws HubError(VALIDATION_FAILED).
   */
  parsePush(rawBody: Buffer, verified: VerifiedPush): NormalizedOrder[];
  /** The platform's raw statuses and the anchor status each one means. */
  readonly statusDictionary: Readonly<Record<string, string>>;
  /** The body the platform expects on success; null for an empty 200. */
  successBody(): unknown;
}

export function headerValue(h: string | string[] | undefined): string | undefined {
  return Array.isArray(h) ? h[0] : h;
}
