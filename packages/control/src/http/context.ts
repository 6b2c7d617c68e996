/**
 * The typed Hono environment every control route runs in: what the shared
 * middleware puts on the context and the logger errors go through.
 */
import type { Context } from 'hono';
import type { Clock } from '@prx-voice/core';
import type { Principal } from '@prx-voice/policy';
import type { TenantRow } from '@prx-voice/storage';
import { VoiceError } from '@prx-voice/types';

/** Context variables set by the shared middleware. */
export interface ControlVariables {
  /** The request's id, echoed from a sane `X-Request-Id` or a new `req_…`. */
  requestId: string;
  /** The app's clock: envelope timestamps and durations. */
  clock: Clock;
  /** The verified caller; set on every authenticated route. */
  principal: Principal;
  /** The caller's tenant row (active), loaded with the principal. */
  tenant: TenantRow;
}

/** The Hono environment of the control app. */
export interface ControlEnv {
  Variables: ControlVariables;
}

/** A Hono context of the control app. */
export type ControlContext = Context<ControlEnv>;

/** The principal of an authenticated route; `UNAUTHENTICATED` where none was set. */
export function principalOf(c: ControlContext): Principal {
  const principal = c.get('principal') as Principal | undefined;
  if (principal === undefined) throw new VoiceError('UNAUTHENTICATED');
  return principal;
}

/** The caller's tenant row of an authenticated route. */
export function tenantOf(c: ControlContext): TenantRow {
  const tenant = c.get('tenant') as TenantRow | undefined;
  if (tenant === undefined) throw new VoiceError('UNAUTHENTICATED');
  return tenant;
}
