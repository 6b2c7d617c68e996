/**
 * `storage.embedded_maintenance_ms`: the server vacuums and analyzes the embedded database's
 * tables as they grow (PGlite has no autovacuum), and logs what it did. Real time: one
 * interval of one second.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from './server.js';
import type { RunningServer } from './server.js';

const dir = mkdtempSync(join(tmpdir(), 'prx-maintenance-'));
const lines: string[] = [];
let logged: (line: string) => void = () => undefined;
let server: RunningServer;

beforeAll(async () => {
  server = await startServer({
    load: {
      cwd: dir,
      env: {
        PRX_VOICE_SERVER__PORT: '0',
        PRX_VOICE_SERVER__HOST: '127.0.0.1',
        PRX_VOICE_STORAGE__DATA_DIR: 'data',
        PRX_VOICE_STORAGE__EMBEDDED_MAINTENANCE_MS: '1000',
        PRX_VOICE_ADAPTERS__VAD__PROVIDER: 'energy',
      },
    },
    log: (line) => {
      lines.push(line);
      logged(line);
    },
  });
}, 60_000);

afterAll(async () => {
  await server.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

describe('storage.embedded_maintenance_ms', () => {
  it('vacuums and analyzes a table of the embedded database once it grew, and logs it', async () => {
    const db = server.runtime.storage.database.db;
    expect(server.runtime.storage.database.kind).toBe('pglite');
    const maintained = new Promise<string>((resolve) => {
      logged = (line) => {
        if (line.includes('tables vacuumed and analyzed')) resolve(line);
      };
    });
    await sql`insert into tenants (id, slug, name, tier, status, limits, settings, created_at, updated_at)
      select 'ten_' || lpad(g::text, 26, '0'), 't-' || g, repeat('n', 400), 'starter', 'active', '{}', '{}', now(), now()
      from generate_series(1, 400) g`.execute(db);
    const line = JSON.parse(await maintained) as { tables: { table: string }[] };
    expect(line.tables.map((t) => t.table)).toContain('tenants');
    const { rows } = await sql<{ reltuples: number }>`
      select reltuples from pg_class where relname = 'tenants'`.execute(db);
    // Analyzed: the planner knows the rows (the 400 and the default tenant).
    expect(rows[0]?.reltuples).toBe(401);
  });
});
