import { auditLogFromConfig } from '@prx-voice/control';
import { silentLogger } from '@prx-voice/core';
import { createTenant, isRole } from '@prx-voice/policy';
import { VoiceError } from '@prx-voice/types';
import type { TenantId } from '@prx-voice/types';
import type { CliIo } from '../cli.js';
import { openRuntime } from '../runtime.js';
import type { Runtime } from '../runtime.js';
import { tenantOf } from './tenant-ref.js';

/** Records what an operator did from the command line in the tenant's audit log. */
export async function audited(
  rt: Runtime,
  tenantId: TenantId,
  action: string,
  resource: { readonly type: string; readonly id: string },
  details: Record<string, unknown>,
): Promise<void> {
  const audit = auditLogFromConfig({
    config: rt.config,
    repos: rt.repos,
    clock: rt.clock,
    logger: silentLogger,
  });
  await audit.record(tenantId, {
    actorType: 'cli',
    actorId: null,
    action,
    resourceType: resource.type,
    resourceId: resource.id,
    outcome: 'success',
    details,
  });
}

/** The value of a required flag; `VALIDATION_FAILED` naming the flag when it is missing. */
export function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '')
    throw new VoiceError('VALIDATION_FAILED', { message: `--${flag} is required` });
  return value;
}

/** `prx-voice tenant create --slug --name [--tier]`. */
export async function tenantCreateCommand(
  io: CliIo,
  o: { slug?: string; name?: string; tier?: string },
): Promise<number> {
  const slug = required(o.slug, 'slug');
  const name = required(o.name, 'name');
  const rt = await openRuntime({ ...(io.load === undefined ? {} : { load: io.load }) });
  try {
    const tenant = await createTenant(rt.repos, { slug, name, tier: o.tier ?? 'trial' });
    await audited(
      rt,
      tenant.id as TenantId,
      'tenant.create',
      { type: 'tenant', id: tenant.id },
      {
        tier: tenant.tier,
      },
    );
    io.out(`tenant ${tenant.id} (${tenant.slug}, ${tenant.tier})`);
    return 0;
  } finally {
    await rt.close();
  }
}

/** `prx-voice apikey create --tenant --name --role`: prints the key once. */
export async function apikeyCreateCommand(
  io: CliIo,
  o: { tenant?: string; name?: string; role?: string },
): Promise<number> {
  const ref = required(o.tenant, 'tenant');
  const name = required(o.name, 'name');
  const role = required(o.role, 'role');
  if (!isRole(role))
    throw new VoiceError('VALIDATION_FAILED', { message: `--role "${role}" is not a role` });
  const rt = await openRuntime({ ...(io.load === undefined ? {} : { load: io.load }) });
  try {
    const tenant = await tenantOf(rt.repos, ref);
    const { key, row } = await rt.apiKeys.create({
      tenantId: tenant.id as TenantId,
      name,
      role,
      createdBy: 'cli',
    });
    await audited(
      rt,
      tenant.id as TenantId,
      'api_key.create',
      { type: 'api_key', id: row.id },
      {
        role,
      },
    );
    io.out(`api key ${row.id} for tenant ${tenant.slug} with role ${role}:`);
    io.out(key);
    io.out('store it now: it is not shown again');
    return 0;
  } finally {
    await rt.close();
  }
}
