/**
 * `prx-voice audit verify [--tenant SLUG_OR_ID]`: recomputes each tenant's audit hash
 * chain on the configured database and checks every signed checkpoint with the
 * configured key; prints one line per tenant and exits 1 when any does not hold, naming
 * the first bad record or checkpoint.
 */
import { auditLogFromConfig } from '@prx-voice/control';
import { silentLogger } from '@prx-voice/core';
import type { TenantId } from '@prx-voice/types';
import type { CliIo } from '../cli.js';
import { openRuntime } from '../runtime.js';
import { allTenants, tenantOf } from './tenant-ref.js';

/** `audit verify`: 0 when every chain and checkpoint holds, 1 otherwise. */
export async function auditVerifyCommand(io: CliIo, o: { tenant?: string }): Promise<number> {
  const rt = await openRuntime({ ...(io.load === undefined ? {} : { load: io.load }) });
  try {
    const audit = auditLogFromConfig({
      config: rt.config,
      repos: rt.repos,
      clock: rt.clock,
      logger: silentLogger,
    });
    const tenants =
      o.tenant === undefined ? await allTenants(rt.repos) : [await tenantOf(rt.repos, o.tenant)];
    let failed = 0;
    for (const tenant of tenants) {
      const r = await audit.verify(tenant.id as TenantId);
      const checkpoints = `${String(r.checkpoints.checked)} checkpoint${r.checkpoints.checked === 1 ? '' : 's'}`;
      if (r.ok) {
        io.out(`${tenant.slug}: ok, ${String(r.records)} records, ${checkpoints}, head ${r.head}`);
        continue;
      }
      failed++;
      const record = r.first_bad_record;
      const cp = r.checkpoints.first_bad;
      io.out(
        `${tenant.slug}: FAILED — ${
          record === undefined
            ? `checkpoint of ${String(cp?.tree_size)} records: ${String(cp?.reason)}`
            : `record ${String(record.seq)} (${record.id}): ${record.reason}`
        }; ${String(r.records)} records good before it`,
      );
    }
    return failed === 0 ? 0 : 1;
  } finally {
    await rt.close();
  }
}
