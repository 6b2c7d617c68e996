/** The tenants a command names: by slug or id (`--tenant`), or every tenant. */
import type { Repositories, TenantRow } from '@prx-voice/storage';
import { VoiceError, isId } from '@prx-voice/types';

/** The tenant `ref` names (a slug or a `ten_…` id); `TENANT_NOT_FOUND` otherwise. */
export async function tenantOf(repos: Repositories, ref: string): Promise<TenantRow> {
  const tenant = isId('tenant', ref)
    ? await repos.tenants.get(ref)
    : await repos.tenants.getBySlug(ref);
  if (tenant === undefined)
    throw new VoiceError('TENANT_NOT_FOUND', { message: `no tenant "${ref}"` });
  return tenant;
}

/** Every tenant, in the repository's order. */
export async function allTenants(repos: Repositories): Promise<TenantRow[]> {
  const out: TenantRow[] = [];
  let cursor: string | null = null;
  do {
    const page = await repos.tenants.list({ limit: 200, cursor });
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return out;
}
