/**
 * What an audited route's call leaves in the audit log: the actor (credential kind and
 * id, role — never a secret), the action and its target, the outcome by status, the
 * request id and the caller's address. The record goes to the chain of the tenant the
 * call concerns — the tenant a platform admin acted on (`/tenants/{id}`, `tenant_id` in
 * the query or body), else the caller's own — so each tenant's admins see what was done
 * to it; where that tenant does not exist, to the caller's.
 */
import type { IncomingMessage } from 'node:http';
import type { AuditLog } from '@prx-voice/audit';
import type { Logger } from '@prx-voice/core';
import type { Principal } from '@prx-voice/policy';
import type { TenantId } from '@prx-voice/types';
import type { ControlContext } from '../http/context.js';
import { requestIdOf } from '../http/envelope.js';
import type { AuditSink, AuditedCall } from '../http/routes.js';

/** The peer address of a request served by the Node server (none in in-process tests). */
export function peerOf(c: ControlContext): string | null {
  const env = c.env as { incoming?: IncomingMessage } | undefined;
  return env?.incoming?.socket.remoteAddress ?? null;
}

function stringIn(o: unknown, key: string): string | undefined {
  if (typeof o !== 'object' || o === null) return undefined;
  const v = (o as Record<string, unknown>)[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The id of the call's target: a path parameter, else the created resource's id. */
function resourceIdOf(call: AuditedCall): string | undefined {
  const params = call.input.params;
  return (
    stringIn(params, 'id') ??
    stringIn(params, 'session_id') ??
    stringIn(params, 'invoice_id') ??
    stringIn(params, 'incident_id') ??
    // Any other `…_id` path parameter (`recording_id`, `assistant_id`, …).
    Object.entries(typeof params === 'object' && params !== null ? params : {})
      .filter(([key]) => key.endsWith('_id'))
      .map(([key]) => stringIn(params, key))
      .find((v) => v !== undefined) ??
    stringIn(call.data, 'id')
  );
}

/** The outcome of a call by its status. */
export function auditOutcome(status: number): 'success' | 'denied' | 'failure' {
  if (status < 400) return 'success';
  return status === 401 || status === 403 ? 'denied' : 'failure';
}

/** An {@link AuditSink} over the server's audit log. */
export function createAuditSink(opts: {
  readonly audit: AuditLog;
  readonly log: Logger;
}): AuditSink {
  return async (c, call) => {
    const principal = c.get('principal') as Principal | undefined;
    if (principal === undefined) return;
    const resourceId = resourceIdOf(call);
    const concerned =
      (call.audit.resource === 'tenant' ? resourceId : undefined) ??
      stringIn(call.input.query, 'tenant_id') ??
      stringIn(call.input.body, 'tenant_id') ??
      principal.tenantId;
    const record = {
      actorType: principal.kind,
      actorId: principal.subject,
      action: call.audit.action,
      resourceType: call.audit.resource,
      resourceId: resourceId ?? null,
      outcome: auditOutcome(call.status),
      requestId: requestIdOf(c),
      ip: peerOf(c),
      details: {
        role: principal.role,
        status: call.status,
        method: c.req.method,
        path: c.req.path,
        ...(concerned === principal.tenantId ? {} : { actor_tenant_id: principal.tenantId }),
      },
    };
    try {
      await opts.audit.record(concerned as TenantId, record);
    } catch (err) {
      try {
        // The tenant concerned does not exist (a create that failed, a wrong id): the caller's.
        if (concerned === principal.tenantId) throw err;
        await opts.audit.record(principal.tenantId, {
          ...record,
          details: { ...record.details, concerned_tenant_id: concerned },
        });
      } catch (final) {
        opts.log.error(
          {
            error: final instanceof Error ? final.message : String(final),
            action: call.audit.action,
            request_id: record.requestId,
          },
          'audit record not stored',
        );
      }
    }
  };
}
