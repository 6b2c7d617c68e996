import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { runCli } from './cli.js';
import { openRuntime } from './runtime.js';
import type { CliIo } from './cli.js';

const dir = mkdtempSync(join(tmpdir(), 'prx-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function io(env: Record<string, string> = {}): CliIo & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    lines,
    errors,
    out: (l) => lines.push(l),
    err: (l) => errors.push(l),
    load: { cwd: dir, env: { PRX_VOICE_STORAGE__DATA_DIR: 'data', ...env } },
  };
}

describe('prx-voice CLI', () => {
  it('migrates, creates a tenant and an API key on the embedded database', async () => {
    const m = io();
    expect(await runCli(['migrate'], m)).toBe(0);
    expect(m.lines[0]).toBe(
      'applied: 0001-initial, 0002-idempotency-lease, 0003-billing, 0004-usage-export, 0005-audit-checkpoints, 0006-subjects',
    );
    const again = io();
    expect(await runCli(['migrate'], again)).toBe(0);
    expect(again.lines[0]).toBe('database is up to date');

    const t = io();
    expect(
      await runCli(['tenant', 'create', '--slug', 'acme', '--name', 'Acme', '--tier', 'growth'], t),
    ).toBe(0);
    expect(t.lines[0]).toMatch(/^tenant ten_[0-9a-z]{26} \(acme, growth\)$/);

    const k = io();
    expect(
      await runCli(
        ['apikey', 'create', '--tenant', 'acme', '--name', 'ci', '--role', 'workspace_developer'],
        k,
      ),
    ).toBe(0);
    expect(k.lines[1]).toMatch(/^pk_[0-9a-z]{16}_[A-Za-z0-9_-]{43}$/);

    const usage = io();
    expect(
      await runCli(['billing', 'usage', '--tenant', 'acme', '--period', '2026-01'], usage),
    ).toBe(0);
    expect(usage.lines).toEqual(['acme 2026-01:', '  no usage recorded']);
    // A past month: nothing used, the growth tier's minimum fee.
    const close = io();
    expect(
      await runCli(['billing', 'close', '--period', '2026-01', '--tenant', 'acme'], close),
    ).toBe(0);
    expect(close.lines[0]).toMatch(/^acme 2026-01: invoice inv_[0-9a-z]{26} 49\.000000 USD$/);
    const again2 = io();
    expect(await runCli(['billing', 'close', '--period', '2026-01'], again2)).toBe(0);
    expect(again2.lines).toEqual([`${String(close.lines[0])} (already closed)`]);
    const bad = io();
    expect(await runCli(['billing', 'close', '--period', '2026-13'], bad)).toBe(1);
    expect(bad.errors[0]).toMatch(/period must be YYYY-MM/);

    // What the operator did is in the tenant's audit log, whose chain verifies…
    const verified = io();
    expect(await runCli(['audit', 'verify', '--tenant', 'acme'], verified)).toBe(0);
    expect(verified.lines[0]).toMatch(/^acme: ok, 2 records, 0 checkpoints, head [0-9a-f]{64}$/);
    // … until a record is changed behind its back: the exact record is named.
    const { load } = io();
    const rt = await openRuntime(load === undefined ? {} : { load });
    try {
      await sql`update audit_records set details = '{"role":"platform_admin"}'::jsonb where seq = 2`.execute(
        rt.storage.database.db,
      );
    } finally {
      await rt.close();
    }
    const tampered = io();
    expect(await runCli(['audit', 'verify'], tampered)).toBe(1);
    expect(tampered.lines[0]).toMatch(
      /^acme: FAILED — record 2 \(aud_[0-9a-z]{26}\): altered; 1 records good before it$/,
    );
  }, 120_000);

  it('explains bad usage with distinct exit codes', async () => {
    const u = io();
    expect(await runCli(['frobnicate'], u)).toBe(64);
    expect(u.errors[0]).toMatch(/unknown command: frobnicate/);
    const missing = io();
    expect(await runCli(['tenant', 'create', '--name', 'x'], missing)).toBe(1);
    expect(missing.errors[0]).toMatch(/--slug is required/);
    const bad = io();
    expect(
      await runCli(['apikey', 'create', '--tenant', 'acme', '--name', 'x', '--role', 'king'], bad),
    ).toBe(1);
    expect(bad.errors[0]).toMatch(/not a role/);
    const unknownFlag = io();
    expect(
      await runCli(
        ['tenant', 'create', '--slug', 'a', '--name', 'b', '--colour', 'red'],
        unknownFlag,
      ),
    ).toBe(1);
    const config = io({ PRX_VOICE_SERVER__PORT: 'eighty' });
    expect(await runCli(['migrate'], config)).toBe(78);
    expect(config.errors[0]).toMatch(/server\.port = "eighty"/);
    const help = io();
    expect(await runCli(['help'], help)).toBe(0);
    expect(help.lines[0]).toMatch(/usage: prx-voice/);
  }, 60_000);
});
