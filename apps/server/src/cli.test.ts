import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { transcriptSealer } from '@prx-voice/audit';
import { complianceFromConfig } from '@prx-voice/control';
import type { SessionId, TenantId } from '@prx-voice/types';
import { runCli } from './cli.js';
import { serveCommand } from './commands/serve.js';
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

/** The files of a tar archive, in order. */
function untar(bytes: Uint8Array): [string, Uint8Array][] {
  const files: [string, Uint8Array][] = [];
  for (let at = 0; at + 512 <= bytes.length;) {
    const header = bytes.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const name = Buffer.from(header.subarray(0, 100)).toString('latin1').replace(/\0.*$/s, '');
    const size = parseInt(Buffer.from(header.subarray(124, 136)).toString('latin1'), 8);
    files.push([name, bytes.subarray(at + 512, at + 512 + size)]);
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

describe('prx-voice CLI', () => {
  it('migrates, creates a tenant and an API key on the embedded database', async () => {
    const m = io();
    expect(await runCli(['migrate'], m)).toBe(0);
    const all =
      '0001-initial, 0002-idempotency-lease, 0003-billing, 0004-usage-export, 0005-audit-checkpoints, 0006-subjects, 0007-assistants, 0008-assistant-phone-numbers, 0009-phone-number-owner';
    // A new embedded cluster comes from the build's template, already at this schema; without a
    // build (no template) PGlite's initdb makes it and every migration is applied here.
    expect(m.lines[0]).toMatch(new RegExp(`^(applied: ${all}|database is up to date)$`));
    expect(m.lines[1]).toBe(`migrations recorded: ${all} (pglite)`);
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
  }, 300_000); // ten CLI runs, each opening the embedded database in its own worker: minutes on a loaded CI machine

  it('exports and erases a data subject, audited without its value', async () => {
    const NUMBER = '+15550100';
    // Sealing on: the subject's transcripts are stored sealed, the export opens them.
    const sio = () =>
      io({ PRX_VOICE_AUDIT__SUBJECTS__MASTER_KEY: Buffer.alloc(32, 7).toString('hex') });
    const t = sio();
    expect(await runCli(['tenant', 'create', '--slug', 'globex', '--name', 'Globex'], t)).toBe(0);
    const tenantId = /^tenant (ten_[0-9a-z]{26}) /.exec(t.lines[0] ?? '')?.[1] as TenantId;

    const { load } = sio();
    const rt = await openRuntime(load === undefined ? {} : { load });
    const sessions: string[] = [];
    let ref: string;
    try {
      const { subjects } = complianceFromConfig(rt.config, rt.repos, rt.storage.objectStore);
      const repos = rt.repos.forTenant(tenantId);
      for (const [metadata, text] of [
        [{ caller_number: NUMBER }, 'my card is 4111'],
        [{ caller_number: NUMBER, plan: 'gold' }, 'second call'],
        [{ caller_number: '+15550199' }, 'someone else'],
      ] as const) {
        const subject = subjects.subjectOf(tenantId, metadata);
        if (subject === undefined) throw new Error('no subject');
        const session = await repos.sessions.create({
          state: 'Closed',
          channel: 'websocket',
          direction: 'inbound',
          language: 'en',
          metadata,
          subjectRef: subject.ref,
        });
        const key = await subjects.sealingKey(tenantId, subject.ref);
        if (key === undefined) throw new Error('not sealing');
        await repos.turns.create({
          sessionId: session.id as SessionId,
          seq: 1,
          inputKind: 'text',
          userText: transcriptSealer(key, session.id)(text),
        });
        if (metadata.caller_number === NUMBER) sessions.push(session.id);
      }
      ref = subjects.refOf(tenantId, 'caller_number', NUMBER);
    } finally {
      await rt.close();
    }

    // Export: a summary on stdout, the archive in the object store and in --out.
    const file = join(dir, 'export.tar');
    const ex = sio();
    expect(
      await runCli(
        [
          'subjects',
          'export',
          '--tenant',
          'globex',
          '--key',
          'caller_number',
          '--value',
          NUMBER,
          '--out',
          file,
        ],
        ex,
      ),
    ).toBe(0);
    const summary = JSON.parse(ex.lines.join('\n')) as Record<string, unknown>;
    expect(summary).toEqual({
      id: expect.stringMatching(/^exp_[0-9a-z]{26}$/),
      subject_ref: ref,
      sessions: 2,
      recordings: 0,
      bytes: expect.any(Number),
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      object_key: expect.stringMatching(
        new RegExp(`^${tenantId}/exports/.*/${String(summary.id)}/${ref}\\.tar$`),
      ),
    });
    const archive = readFileSync(file);
    expect(archive.byteLength).toBe(summary.bytes);
    expect(createHash('sha256').update(archive).digest('hex')).toBe(summary.sha256);
    const entries = untar(archive);
    const [lastName, lastBody] = entries[entries.length - 1] ?? [];
    expect(lastName).toBe('manifest.json');
    const manifest = JSON.parse(Buffer.from(lastBody ?? []).toString()) as {
      export_id: string;
      subject: { ref: string; metadata_key: string };
      sessions: string[];
      files: { path: string; sha256: string }[];
    };
    expect(manifest.export_id).toBe(summary.id);
    expect(manifest.subject).toEqual({ ref, metadata_key: 'caller_number' });
    expect([...manifest.sessions].sort()).toEqual([...sessions].sort());
    for (const f of manifest.files) {
      const body = entries.find(([name]) => name === f.path)?.[1] ?? new Uint8Array();
      expect(createHash('sha256').update(body).digest('hex')).toBe(f.sha256);
    }
    const texts = entries
      .filter(([name]) => name.endsWith('/turns.json'))
      .flatMap(([, body]) =>
        (JSON.parse(Buffer.from(body).toString()) as { user_text: string }[]).map(
          (turn) => turn.user_text,
        ),
      );
    expect(texts.sort()).toEqual(['my card is 4111', 'second call']);

    // Erasure: the key, the transcripts, the export.
    const er = sio();
    expect(
      await runCli(
        ['subjects', 'erase', '--tenant', tenantId, '--key', 'caller_number', '--value', NUMBER],
        er,
      ),
    ).toBe(0);
    expect(JSON.parse(er.lines.join('\n'))).toEqual({
      subject_ref: ref,
      key_erased: true,
      sessions: 2,
      recordings: 0,
      turns: 2,
      events: 0,
      exports: 1,
    });

    // Both in the tenant's chain, which verifies, with the reference and never the value.
    const verified = sio();
    expect(await runCli(['audit', 'verify', '--tenant', 'globex'], verified)).toBe(0);
    expect(verified.lines[0]).toMatch(/^globex: ok, 3 records, 0 checkpoints, head [0-9a-f]{64}$/);
    const rt2 = await openRuntime(load === undefined ? {} : { load });
    try {
      const records = (await rt2.repos.forTenant(tenantId).audit.list()).items;
      expect(
        records.map((r) => [r.action, r.actor_type, r.resource_type, r.resource_id, r.outcome]),
      ).toEqual([
        ['tenant.create', 'cli', 'tenant', tenantId, 'success'],
        ['subject.export', 'cli', 'export', summary.id, 'success'],
        ['subject.erase', 'cli', 'subject', ref, 'success'],
      ]);
      expect(records[1]?.details).toMatchObject({ subject_ref: ref, sessions: 2, recordings: 0 });
      expect(records[2]?.details).toMatchObject({ key_erased: true, sessions: 2, turns: 2 });
      expect(JSON.stringify(records)).not.toContain(NUMBER);
      expect(JSON.stringify(records)).not.toContain(NUMBER.slice(1));
    } finally {
      await rt2.close();
    }
  }, 300_000);

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
    // Workers need the stores they share: refused before any process starts.
    const workers = io({ PRX_VOICE_SERVER__WORKERS: '2' });
    expect(await runCli(['serve'], workers, serveCommand)).toBe(78);
    expect(workers.errors.join('\n')).toMatch(/storage\.database_url[\s\S]*server\.workers is 2/);
    const badKey = io();
    expect(
      await runCli(
        ['subjects', 'export', '--tenant', 'acme', '--key', 'email', '--value', 'a@b.c'],
        badKey,
      ),
    ).toBe(1);
    expect(badKey.errors[0]).toMatch(
      /--key "email" is not a subject metadata key: expected one of subject_id, caller_number, user_id/,
    );
    const noValue = io();
    expect(
      await runCli(['subjects', 'erase', '--tenant', 'acme', '--key', 'user_id'], noValue),
    ).toBe(1);
    expect(noValue.errors[0]).toMatch(/--value is required/);
    const help = io();
    expect(await runCli(['help'], help)).toBe(0);
    expect(help.lines[0]).toMatch(/usage: prx-voice/);
  }, 60_000);
});
