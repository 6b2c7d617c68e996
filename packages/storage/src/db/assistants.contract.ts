import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VoiceError, createSequentialIdGenerator } from '@prx-voice/types';
import type { Id, TenantId } from '@prx-voice/types';
import { migrateToLatest } from './connect.js';
import type { DatabaseHandle } from './connect.js';
import { createRepositories } from './repositories/index.js';
import type { Repositories, TenantRepositories } from './repositories/index.js';

const START = Date.UTC(2026, 11, 6, 12, 0, 0);

/** The stored-assistant contract (versions, optimistic updates, deletes), on each database. */
export function describeAssistantsContract(
  name: string,
  setup: () => Promise<{ handle: DatabaseHandle; cleanup(): Promise<void> }>,
): void {
  describe(`assistants storage contract: ${name}`, () => {
    let cleanup: () => Promise<void>;
    let repos: Repositories;
    let now = START;
    const clock = { now: () => now };
    const ids = createSequentialIdGenerator(START);
    let counter = 0;

    async function newTenant(): Promise<TenantRepositories> {
      const row = await repos.tenants.create({
        slug: `ast-${++counter}`,
        name: `Assistants tenant ${counter}`,
        tier: 'starter',
      });
      return repos.forTenant(row.id as TenantId);
    }

    beforeAll(async () => {
      const ready = await setup();
      cleanup = () => ready.cleanup();
      await migrateToLatest(ready.handle.db);
      repos = createRepositories({ db: ready.handle.db, clock, ids });
    }, 120_000);
    afterAll(async () => {
      await cleanup();
    });

    it('versions every change, keeps each version, and hides a deleted assistant', async () => {
      const t = await newTenant();
      const other = await newTenant();
      const a = await t.assistants.create({ name: 'Booker', definition: { system_prompt: 'v1' } });
      expect(a).toMatchObject({ name: 'Booker', version: 1, definition: { system_prompt: 'v1' } });
      const id = a.id as Id<'assistant'>;
      expect(await other.assistants.get(id)).toBeUndefined();
      now += 1_000;
      const b = await t.assistants.update(
        id,
        { name: 'Booker', definition: { system_prompt: 'v2' } },
        1,
      );
      expect(b).toMatchObject({ version: 2, definition: { system_prompt: 'v2' } });
      expect(b?.updated_at.getTime()).toBe(now);
      await expect(
        t.assistants.update(id, { name: 'Booker', definition: {} }, 1),
      ).rejects.toMatchObject({ code: 'CONFLICT' });
      await expect(
        t.assistants.update(id, { name: 'x', definition: {} }, 1),
      ).rejects.toBeInstanceOf(VoiceError);
      expect(await other.assistants.update(id, { name: 'x', definition: {} })).toBeUndefined();
      expect((await t.assistants.versions(id)).map((v) => [v.version, v.definition])).toEqual([
        [1, { system_prompt: 'v1' }],
        [2, { system_prompt: 'v2' }],
      ]);
      expect((await t.assistants.list()).items.map((r) => r.id)).toEqual([id]);
      expect(await t.assistants.delete(id)).toBe(true);
      expect(await t.assistants.delete(id)).toBe(false);
      expect(await t.assistants.get(id)).toBeUndefined();
      expect((await t.assistants.list()).items).toEqual([]);
      expect((await t.assistants.version(id, 1))?.definition).toEqual({ system_prompt: 'v1' });
      expect(await t.assistants.update(id, { name: 'x', definition: {} })).toBeUndefined();
    });

    it('records the assistant and version a session runs', async () => {
      const t = await newTenant();
      const a = await t.assistants.create({ name: 'A', definition: {} });
      const s = await t.sessions.create({
        state: 'Idle',
        channel: 'websocket',
        direction: 'inbound',
        language: 'en-US',
        assistant: { id: a.id, version: a.version },
      });
      expect([s.assistant_id, s.assistant_version]).toEqual([a.id, 1]);
    });

    it('binds phone numbers to one assistant of a tenant, frees them on change and delete', async () => {
      const t = await newTenant();
      const other = await newTenant();
      const a = await t.assistants.create({
        name: 'Front desk',
        definition: {},
        phoneNumbers: ['+15550001', '+15550002'],
      });
      const id = a.id as Id<'assistant'>;
      expect((await t.assistants.byPhoneNumber('+15550002'))?.id).toBe(id);
      expect(await other.assistants.byPhoneNumber('+15550002')).toBeUndefined();
      expect(await t.assistants.byPhoneNumber('+15559999')).toBeUndefined();
      // A number belongs to one tenant: another tenant may not bind it (and is not told whose
      // it is), nor may another assistant of the tenant.
      const theirs = await other.assistants
        .create({ name: 'Theirs', definition: {}, phoneNumbers: ['+15550009', '+15550001'] })
        .catch((e: unknown) => e);
      expect(VoiceError.is(theirs) && theirs.code).toBe('CONFLICT');
      expect((theirs as VoiceError).message).toContain('+15550001');
      expect((theirs as VoiceError).message).not.toContain(t.tenantId);
      expect(JSON.stringify((theirs as VoiceError).details)).not.toContain(t.tenantId);
      expect(JSON.stringify((theirs as VoiceError).details)).not.toContain(id);
      expect((await other.assistants.list()).items).toEqual([]);
      const taken = await t.assistants
        .create({ name: 'Second', definition: {}, phoneNumbers: ['+15550003', '+15550001'] })
        .catch((e: unknown) => e);
      expect(VoiceError.is(taken) && taken.code).toBe('CONFLICT');
      expect((taken as VoiceError).details).toMatchObject({
        phone_number: '+15550001',
        assistant_id: id,
      });
      // Nothing of the refused assistant was kept.
      expect(await t.assistants.byPhoneNumber('+15550003')).toBeUndefined();
      expect((await t.assistants.list()).items.map((r) => r.name)).toEqual(['Front desk']);
      // A new version replaces the numbers; the freed one can be bound elsewhere.
      const b = await t.assistants.update(id, {
        name: 'Front desk',
        definition: {},
        phoneNumbers: ['+15550002'],
      });
      expect(b?.version).toBe(2);
      expect((await t.assistants.byPhoneNumber('+15550002'))?.version).toBe(2);
      expect(await t.assistants.byPhoneNumber('+15550001')).toBeUndefined();
      const c = await t.assistants.create({
        name: 'Second',
        definition: {},
        phoneNumbers: ['+15550001'],
      });
      expect(await t.assistants.delete(c.id as Id<'assistant'>)).toBe(true);
      expect(await t.assistants.byPhoneNumber('+15550001')).toBeUndefined();
      // Freed, it can go to another tenant.
      const moved = await other.assistants.create({
        name: 'Theirs',
        definition: {},
        phoneNumbers: ['+15550001'],
      });
      expect((await other.assistants.byPhoneNumber('+15550001'))?.id).toBe(moved.id);
    });

    it('finds the tenant and assistant of a number across tenants', async () => {
      const t = await newTenant();
      const other = await newTenant();
      const a = await t.assistants.create({
        name: 'Ours',
        definition: {},
        phoneNumbers: ['+15551001'],
      });
      const b = await other.assistants.create({
        name: 'Theirs',
        definition: {},
        phoneNumbers: ['+15551002'],
      });
      expect(await repos.phoneNumbers.owner('+15551001')).toEqual({
        tenant_id: t.tenantId,
        assistant_id: a.id,
      });
      expect(await repos.phoneNumbers.owner('+15551002')).toEqual({
        tenant_id: other.tenantId,
        assistant_id: b.id,
      });
      expect(await repos.phoneNumbers.owner('+15551003')).toBeUndefined();
      await other.assistants.delete(b.id as Id<'assistant'>);
      expect(await repos.phoneNumbers.owner('+15551002')).toBeUndefined();
    });
  });
}
