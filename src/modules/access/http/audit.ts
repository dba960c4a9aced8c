// The audit log: read it, and check that nobody edited it.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Hub } from '../../../app/hub.ts';
import { listAudit } from '../queries/list-audit.ts';
import { verifyAuditFor } from '../queries/verify-audit.ts';
import { who } from '../../../app/http/auth.ts';
import { AuditEntry } from '../../../app/http/schemas.ts';
import { ErrorBody } from '../../../app/http/errors.ts';

export const auditRoutes: FastifyPluginAsyncTypebox<{ hub: Hub }> = async (app, { hub }) => {
  app.get(
    '/audit',
    {
      config: { access: 'audit.read' },
      schema: {
        description: 'Who did what, when, to which object, with the detail of the change; filter by actor, action and target, page back with beforeSeq. Entries form a hash chain per organisation (GET /api/audit/verify checks it). Needs audit.read.',
        tags: ['audit'],
        summary: 'Audit entries, newest first',
        querystring: Type.Object({
          targetType: Type.Optional(Type.String({ maxLength: 64 })),
          targetId: Type.Optional(Type.String({ maxLength: 128 })),
          action: Type.Optional(Type.String({ maxLength: 64 })),
          actor: Type.Optional(Type.String({ maxLength: 64 })),
          beforeSeq: Type.Optional(Type.Integer({ minimum: 1, description: 'the next page: entries older than this sequence number' })),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
        }),
        response: { 200: Type.Object({ items: Type.Array(AuditEntry) }) },
      },
    },
    async (req) => ({ items: await listAudit(hub.db, who(req), req.query) }),
  );

  const Broken = Type.Object({
    seq: Type.Integer(),
    id: Type.Union([Type.Integer(), Type.Null()], { description: 'the row id; null when the row itself is gone' }),
    reason: Type.String(),
  });
  app.get(
    '/audit/verify',
    {
      config: { access: 'audit.read' },
      schema: {
        tags: ['audit'],
        summary: 'Walk the hash chain and report every broken link (also: orderhub audit verify)',
        description: 'Reads every entry of the organisation: 403 for a principal with a limited data scope.',
        response: {
          200: Type.Object({
            ok: Type.Boolean(),
            checked: Type.Integer(),
            broken: Type.Array(Broken, { description: 'every broken link in chain order (the first 1,000 of them)' }),
            brokenCount: Type.Integer(),
            firstBroken: Type.Union([Broken, Type.Null()]),
          }),
          403: ErrorBody,
        },
      },
    },
    async (req) => verifyAuditFor(hub.db, hub.keyring, who(req)),
  );
};
