/**
 * The audit log on each database (PGlite, and PostgreSQL with `DATABASE_URL`): records
 * chained, checkpoints signed, and verification naming the exact first record a direct
 * change to the table broke — altered, deleted, reordered — or the checkpoint that no
 * longer holds (the chain's tail cut off).
 */
import { generateKeyPairSync } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '@prx-voice/core/testing';
import { openTestDatabase, testDatabaseKinds } from '@prx-voice/storage/testing';
import type { TestDatabase } from '@prx-voice/storage/testing';
import type { TenantId } from '@prx-voice/types';
import { createAuditLog } from './audit-log.js';
import type { AuditLog } from './audit-log.js';
import { createCheckpointSigner } from './checkpoint.js';

const signer = createCheckpointSigner('test-audit', generateKeyPairSync('ed25519').privateKey);

describe.each(testDatabaseKinds())('audit log on %s', (kind) => {
  const clock = new SimulatedClock({ start: Date.UTC(2026, 11, 6, 12) });
  let db: TestDatabase;
  let log: AuditLog;
  let tenants = 0;

  beforeAll(async () => {
    db = await openTestDatabase({ clock, kind });
    log = createAuditLog({ repos: db.repos, clock, signer, checkpointEvery: 4 });
  }, 60_000);
  afterAll(() => db.close());

  /** A tenant with `n` records: seq 1…n, checkpoints at 4, 8, … */
  async function tenantWith(n: number): Promise<TenantId> {
    const row = await db.repos.tenants.create({
      slug: `audit-${String(++tenants)}`,
      name: 'Audit',
      tier: 'starter',
    });
    const id = row.id as TenantId;
    for (let i = 1; i <= n; i++) {
      clock.advance(1_000);
      await log.record(id, {
        actorType: 'api_key',
        actorId: `key_${String(i % 3)}`,
        action: i % 2 === 0 ? 'api_key.create' : 'tenant.update',
        resourceType: 'api_key',
        resourceId: `key_new_${String(i)}`,
        outcome: 'success',
        requestId: `req_${String(i)}`,
        ip: '203.0.113.7',
        details: { z: i, a: { nested: [1, 'two', null] } },
      });
    }
    return id;
  }

  const exec = (query: ReturnType<typeof sql>) => query.execute(db.handle.db);

  it('verifies an untouched chain and its checkpoints', async () => {
    const id = await tenantWith(10);
    const result = await log.verify(id);
    expect(result).toMatchObject({
      ok: true,
      records: 10,
      checkpoints: { checked: 2 },
      verifier_key: signer.verifierKey,
    });
    expect(result.first_bad_record).toBeUndefined();
    // The checkpoint notes are signed notes of the chain's size and head.
    const cps = (await db.repos.forTenant(id).audit.checkpoints()).items;
    expect(cps.map((c) => c.tree_size)).toEqual([4, 8]);
    expect(cps[1]?.note).toMatch(
      new RegExp(
        `^prx-voice/audit/${id}\\n8\\n[A-Za-z0-9+/]{43}=\\n\\n\u2014 test-audit [A-Za-z0-9+/]+=*\\n$`,
      ),
    );
    // A periodic checkpoint covers the records since.
    await log.stop();
    expect(
      (await db.repos.forTenant(id).audit.checkpoints()).items.map((c) => c.tree_size),
    ).toEqual([4, 8, 10]);
    expect((await log.verify(id)).checkpoints.checked).toBe(3);
  });

  it('names the first altered record', async () => {
    const id = await tenantWith(10);
    await exec(
      sql`update audit_records set details = ${JSON.stringify({ z: 999 })}::jsonb where tenant_id = ${id} and seq = 6`,
    );
    const result = await log.verify(id);
    expect(result.ok).toBe(false);
    expect(result.records).toBe(5);
    expect(result.first_bad_record).toMatchObject({ seq: 6, reason: 'altered' });
    const row = await db.repos.forTenant(id).audit.at(6);
    expect(result.first_bad_record?.id).toBe(row?.id);
  });

  it('names the first deleted record', async () => {
    const id = await tenantWith(10);
    const seventh = await db.repos.forTenant(id).audit.at(7);
    await exec(sql`delete from audit_records where tenant_id = ${id} and seq = 3`);
    expect((await log.verify(id)).first_bad_record).toMatchObject({
      seq: 3,
      reason: 'missing_record',
    });
    // A deletion renumbered to hide the gap breaks the link instead.
    const other = await tenantWith(10);
    await exec(sql`delete from audit_records where tenant_id = ${other} and seq = 3`);
    // (In two steps: the unique (tenant, seq) is checked row by row.)
    await exec(sql`update audit_records set seq = -seq where tenant_id = ${other} and seq > 3`);
    await exec(sql`update audit_records set seq = -seq - 1 where tenant_id = ${other} and seq < 0`);
    expect((await log.verify(other)).first_bad_record).toMatchObject({
      seq: 3,
      reason: 'broken_link',
    });
    expect(seventh).toBeDefined();
  });

  it('names the first of two swapped records', async () => {
    const id = await tenantWith(10);
    const t = db.repos.forTenant(id).audit;
    const fifth = await t.at(5);
    await exec(sql`update audit_records set seq = -1 where tenant_id = ${id} and seq = 5`);
    await exec(sql`update audit_records set seq = 5 where tenant_id = ${id} and seq = 6`);
    await exec(sql`update audit_records set seq = 6 where tenant_id = ${id} and seq = -1`);
    const result = await log.verify(id);
    expect(result.first_bad_record).toMatchObject({ seq: 5, reason: 'broken_link' });
    expect(result.first_bad_record?.id).not.toBe(fifth?.id);
  });

  it('finds the tail cut off by its checkpoint, and a forged checkpoint', async () => {
    const id = await tenantWith(9);
    await exec(sql`delete from audit_records where tenant_id = ${id} and seq > 6`);
    // The chain that is left is whole; the checkpoint of 8 records says more existed.
    expect(await log.verify(id)).toMatchObject({
      ok: false,
      records: 6,
      checkpoints: { first_bad: { tree_size: 8, reason: 'truncated' } },
    });
    const forged = await tenantWith(4);
    await exec(
      sql`update audit_checkpoints set note = replace(note, '\n4\n', '\n3\n') where tenant_id = ${forged}`,
    );
    expect((await log.verify(forged)).checkpoints.first_bad).toEqual({
      tree_size: 4,
      reason: 'bad_signature',
    });
  });
});
