import { createTenant, isRole } from '@prx-voice/policy';
import { VoiceError, isId } from '@prx-voice/types';
import type { TenantId } from '@prx-voice/types';
import type { CliIo } from '../cli.js';
import { openRuntime } from '../runtime.js';

function required(value: string | undefined, flag: string): string {
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
    const tenant = isId('tenant', ref)
      ? await rt.repos.tenants.get(ref)
      : await rt.repos.tenants.getBySlug(ref);
    if (tenant === undefined)
      throw new VoiceError('TENANT_NOT_FOUND', { message: `no tenant "${ref}"` });
    const { key, row } = await rt.apiKeys.create({
      tenantId: tenant.id as TenantId,
      name,
      role,
      createdBy: 'cli',
    });
    io.out(`api key ${row.id} for tenant ${tenant.slug} with role ${role}:`);
    io.out(key);
    io.out('store it now: it is not shown again');
    return 0;
  } finally {
    await rt.close();
  }
}
