// The operations console: the built React app in web/dist, served by the hub itself (one process, one port).
// Hashed assets are cached for good and sent pre-compressed; every other browser path gets index.html.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const consoleDir = fileURLToPath(new URL('../../../web/dist', import.meta.url));

/** What the console needs and nothing more: its own scripts, inline styles (Ant Design), its own API. */
const securityHeaders = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

/** Paths that belong to the hub, never to the console. */
const serverPaths = /^\/(api|hooks|docs|health|ready)(\/|$|\?)/;

export async function registerConsole(app: FastifyInstance): Promise<{ fallback(req: FastifyRequest, reply: FastifyReply): boolean }> {
  const built = existsSync(`${consoleDir}/index.html`);
  if (built) {
    await app.register(fastifyStatic, {
      root: consoleDir,
      prefix: '/',
      index: false,
      wildcard: false,
      preCompressed: true,
      setHeaders(res, path) {
        void res.header('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
        for (const [k, v] of Object.entries(securityHeaders)) void res.header(k, v);
      },
    });
  }
  return {
    /** Serves index.html for a browser path the console routes itself; false when the path is not the console's. */
    fallback(req, reply) {
      const path = req.url.split('?')[0] ?? '/';
      // Only a browser navigating (it asks for HTML) gets the console; an API client gets the JSON 404.
      const wantsHtml = (req.headers.accept ?? '').includes('text/html');
      if (req.method !== 'GET' || !wantsHtml || serverPaths.test(path) || path.startsWith('/assets/')) return false;
      void reply.headers({ 'cache-control': 'no-cache', ...securityHeaders });
      if (!built) {
        void reply
          .code(503)
          .type('text/html; charset=utf-8')
          .send('<!doctype html><meta charset="utf-8"><title>Order hub</title><p>The console is not built: run <code>npm run build:console</code> (npm install does it).</p>');
        return true;
      }
      void reply.sendFile('index.html');
      return true;
    },
  };
}
