// Passwords (argon2id) and high-entropy secrets (session ids, CSRF and API tokens: stored as SHA-256 only).
import argon2 from 'argon2';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { HubError } from '../../kernel/errors.ts';

// OWASP's argon2id baseline (19 MiB, 2 passes): ~50 ms here, cheap enough for sign-in, costly to guess at.
const argonOptions = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const passwordRules = 'at least 10 characters, not all the same character, and not the username';

export function passwordProblem(password: string, username: string): string | null {
  if (password.length < 10) return `the password is too short: ${passwordRules}`;
  if (password.length > 256) return 'the password is longer than 256 characters';
  if (new Set(password).size < 2) return `the password is too simple: ${passwordRules}`;
  if (password.toLowerCase() === username.toLowerCase()) return `the password must not be the username: ${passwordRules}`;
  return null;
}

export async function hashPassword(password: string, username: string): Promise<string> {
  const problem = passwordProblem(password, username);
  if (problem) throw new HubError('VALIDATION_FAILED', problem);
  return argon2.hash(password, argonOptions);
}

// Checked against when the username is unknown, so that an unknown user takes as long as a wrong password.
let dummyHash: Promise<string> | null = null;

export async function verifyPassword(stored: string | null, password: string): Promise<boolean> {
  if (!stored) {
    dummyHash ??= argon2.hash('not a real password', argonOptions);
    await argon2.verify(await dummyHash, password).catch(() => false);
    return false;
  }
  try {
    return await argon2.verify(stored, password);
  } catch {
    return false;
  }
}

/** A random secret with a readable prefix, e.g. `ohs_…` for sessions, `oht_…` for API tokens. */
export function newSecret(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export function secretHash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Constant-time comparison through fixed-length digests, so neither content nor length leaks. */
export function secretsMatch(given: string, expected: string): boolean {
  return timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());
}
