// Structured logging (pino). Secrets and personal data are redacted by path before a line is written.
import { pino, type Logger } from 'pino';

export type { Logger };

const redactPaths = [
  'req.headers.authorization',
  'req.headers["x-orderhub-signature"]',
  'headers.authorization',
  'credentials',
  '*.credentials',
  'secret',
  '*.secret',
  'adminToken',
  'token',
  'buyer.phone',
  'receiver.phone',
  'receiver.address',
  '*.receiver.phone',
  '*.receiver.address',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    { level, redact: { paths: redactPaths, censor: '[hidden]' }, base: { app: 'orderhub' } },
    destination as pino.DestinationStream | undefined,
  );
}
