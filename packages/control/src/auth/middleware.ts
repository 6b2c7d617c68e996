/**
 * The auth middleware of every API route and the RBAC helpers. Routes
 * authenticate unless their declared auth mode says otherwise (`none` for
 * probes, `query` where a `?token=` may stand in for the header).
 */
import type { MiddlewareHandler } from 'hono';
import { authorize } from '@prx-voice/policy';
import type { Permission } from '@prx-voice/policy';
import { VoiceError } from '@prx-voice/types';
import type { TenantId } from '@prx-voice/types';
import type { ControlContext, ControlEnv } from '../http/context.js';
import { principalOf } from '../http/context.js';
import type { RouteRegistry } from '../http/openapi.js';
import { finalRoute, internalMiddleware } from '../http/route-match.js';
import type { Authenticator } from './authenticator.js';

/**
 * Authenticates the request of every matched route whose auth mode is not
 * `none`, setting `principal` and `tenant`. Requests matching no route pass
 * through untouched, so they get 404/405 rather than 401.
 */
export function authMiddleware(opts: {
  readonly authenticator: Authenticator;
  readonly registry: RouteRegistry;
}): MiddlewareHandler<ControlEnv> {
  return internalMiddleware<MiddlewareHandler<ControlEnv>>(async (c, next) => {
    const route = finalRoute(c);
    const mode = route === undefined ? 'none' : opts.registry.authOf(route.method, route.path);
    if (mode !== 'none') {
      const { principal, tenant } = await opts.authenticator.authenticate(
        { authorization: c.req.header('authorization'), queryToken: c.req.query('token') },
        { allowQueryToken: mode === 'query' },
      );
      c.set('principal', principal);
      c.set('tenant', tenant);
    }
    await next();
  });
}

/**
 * Throws `FORBIDDEN` unless the caller's role grants `permission` on a resource
 * of `resourceTenant` (default: the caller's own tenant; only `platform_admin`
 * crosses tenants).
 */
export function checkPermission(
  c: ControlContext,
  permission: Permission,
  resourceTenant?: TenantId,
): void {
  const decision = authorize(principalOf(c), permission, resourceTenant);
  if (decision.kind === 'denied') {
    throw new VoiceError('FORBIDDEN', {
      message: decision.message,
      details: { permission, reason: decision.reason },
    });
  }
}

/**
 * Middleware form of {@link checkPermission}; `resourceTenant` reads the
 * resource's tenant from the request when it is not the caller's.
 *
 * @example
 * api.get('/tenants/:id', requirePermission('tenant:read', (c) => c.req.param('id') as TenantId), handler);
 */
export function requirePermission(
  permission: Permission,
  resourceTenant?: (c: ControlContext) => TenantId | Promise<TenantId>,
): MiddlewareHandler<ControlEnv> {
  return async (c, next) => {
    checkPermission(
      c,
      permission,
      resourceTenant === undefined ? undefined : await resourceTenant(c),
    );
    await next();
  };
}
