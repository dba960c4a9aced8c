// Second approvals: see requests, decide them (never one's own), withdraw one's own.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import type { Hub } from '../../../app/hub.ts';
import type { MaybePending } from '../approvals.ts';
import { who } from '../../../app/http/auth.ts';
import { ErrorBody } from '../../../app/http/errors.ts';
import { Approval } from '../../../app/http/schemas.ts';
import { approvalStates } from '../domain/approvals.ts';

const Id = Type.Object({ id: Type.String({ maxLength: 64 }) });

/** An operation that may wait for a second approval: 202 with the request, or the done answer with `okStatus`. */
export function answerMaybePending<T, R>(reply: FastifyReply, r: MaybePending<T>, shape: (done: T) => R, okStatus = 200) {
  if ('pending' in r) return reply.code(202).send({ pendingApproval: r.pending });
  return reply.code(okStatus).send(shape(r.done));
}

export const approvalRoutes: FastifyPluginAsyncTypebox<{ hub: Hub }> = async (app, { hub }) => {
  app.get(
    '/approvals',
    {
      // Everyone sees their own requests; deciders also see the ones in their scope.
      config: { access: 'authenticated' },
      schema: {
        description: 'Changes held for four-eyes approval (paid-order cancellations, price changes, bulk stock adjustments, deletions) with who asked, when, and their state (pending, approved, rejected, withdrawn, expired).',
        tags: ['approvals'],
        summary: 'Requests waiting for (or decided by) a second person, newest first',
        querystring: Type.Object({
          state: Type.Optional(Type.Union(approvalStates.map((s) => Type.Literal(s)))),
          limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
        }),
        response: { 200: Type.Object({ items: Type.Array(Approval) }) },
      },
    },
    async (req) => ({ items: await hub.approvals.list(who(req), req.query) }),
  );

  app.get(
    '/approvals/inbox',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['approvals'],
        summary: 'How many open requests the caller may decide (the console’s notification bell)',
        description:
          'Counts pending, unexpired requests the caller may decide: someone else’s, of a kind whose permission the caller holds, on a target in its scope. ' +
          'Zero for a caller without approvals.decide. Capped at 200 (`more` then says there are more).',
        response: { 200: Type.Object({ count: Type.Integer({ minimum: 0 }), more: Type.Boolean() }) },
      },
    },
    async (req) => hub.approvals.decidable(who(req)),
  );

  app.get(
    '/approvals/:id',
    { config: { access: 'authenticated' }, schema: { summary: 'One approval request', description: 'The request with its payload and decision; 404 APPROVAL_NOT_FOUND for an id of another organisation.', tags: ['approvals'], params: Id, response: { 200: Approval, 404: ErrorBody } } },
    async (req) => hub.approvals.get(who(req), req.params.id),
  );

  app.post(
    '/approvals/:id/decision',
    {
      config: { access: 'approvals.decide' },
      schema: {
        tags: ['approvals'],
        summary: 'Approve (the operation runs now) or reject a request',
        description:
          'Needs approvals.decide and the permission of the operation itself. One’s own request is refused (403 APPROVAL_SELF, audited). ' +
          'An approved operation that can no longer run (the order moved on) closes the request as failed and answers with its error.',
        params: Id,
        body: Type.Object({ decision: Type.Union([Type.Literal('approve'), Type.Literal('reject')]), reason: Type.Optional(Type.String({ maxLength: 500 })) }),
        response: { 200: Approval, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req) => hub.writes.decideApproval(who(req), req.params.id, req.body),
  );

  app.post(
    '/approvals/:id/withdraw',
    {
      config: { access: 'authenticated' },
      schema: { description: 'Only the requester may withdraw, and only while it is pending (409 APPROVAL_DECIDED otherwise). Audited.', tags: ['approvals'], summary: 'Take back one’s own pending request', params: Id, response: { 200: Approval, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody } },
    },
    async (req) => hub.writes.withdrawApproval(who(req), req.params.id),
  );
};
