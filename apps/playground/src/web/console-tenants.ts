/**
 * Whose sessions the console lists. A platform admin's key reads every tenant
 * (`GET /tenants`) and picks one (`GET /sessions?tenant_id=`) or every tenant's
 * live sessions; any other key lists its own tenant's and sees no picker.
 */
import { ApiError } from './api.js';
import type { Api } from './api.js';
import { el } from './dom.js';

/** A session as the console lists it. */
export interface SessionView {
  readonly id: string;
  readonly tenant_id: string;
  readonly state: string;
  readonly channel: string;
  readonly turn_count: number;
  readonly created_at: string;
  readonly ended_at: string | null;
}

/** A tenant the picker offers. */
export interface TenantView {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
}

/** The picker's value for the key's own tenant, and for every tenant's live sessions. */
export const OWN = '';
export const ALL_LIVE = '*';
/** Tenants read for the all-tenants view, at most (one request each per refresh). */
export const ALL_LIVE_TENANTS = 25;

/** Every tenant, when the key may list them (a platform admin); else undefined. */
export async function loadTenants(api: Api): Promise<TenantView[] | undefined> {
  try {
    return (await api.get<{ items: TenantView[] }>('tenants?limit=200')).items;
  } catch (err) {
    if (err instanceof ApiError && err.code === 'FORBIDDEN') return undefined;
    throw err;
  }
}

/** Fills the picker: the key's own tenant, every tenant's live sessions, then each tenant. */
export function fillPicker(select: HTMLSelectElement, tenants: readonly TenantView[]): void {
  const option = (value: string, text: string): HTMLOptionElement => {
    const o = el('option', { text });
    o.value = value;
    return o;
  };
  select.replaceChildren(
    option(OWN, 'your tenant'),
    option(ALL_LIVE, 'every tenant — live sessions'),
    ...tenants.map((t) => option(t.id, `${t.name} (${t.slug})`)),
  );
}

/** Live first, each group newest first. */
function ordered(items: readonly SessionView[]): SessionView[] {
  const newest = (a: SessionView, b: SessionView) => b.created_at.localeCompare(a.created_at);
  return [
    ...items.filter((s) => s.ended_at === null).sort(newest),
    ...items.filter((s) => s.ended_at !== null).sort(newest),
  ];
}

/** The sessions of the picked scope (`OWN`, `ALL_LIVE` or a tenant id). */
export async function listSessions(
  api: Api,
  scope: string,
  tenants: readonly TenantView[],
): Promise<SessionView[]> {
  const page = (query: string) =>
    api.get<{ items: SessionView[] }>(`sessions?limit=50${query}`).then((p) => p.items);
  if (scope === OWN) return ordered(await page(''));
  if (scope !== ALL_LIVE) return ordered(await page(`&tenant_id=${encodeURIComponent(scope)}`));
  const each = await Promise.all(
    tenants.slice(0, ALL_LIVE_TENANTS).map((t) => page(`&tenant_id=${encodeURIComponent(t.id)}`)),
  );
  return ordered(each.flat().filter((s) => s.ended_at === null));
}
