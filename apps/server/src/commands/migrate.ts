import type { CliIo } from '../cli.js';
import { openRuntime } from '../runtime.js';

/** `prx-voice migrate`: applies pending migrations and lists what the database has. */
export async function migrateCommand(io: CliIo): Promise<number> {
  const rt = await openRuntime({ ...(io.load === undefined ? {} : { load: io.load }) });
  try {
    const report = rt.storage.migrations;
    const applied = report?.applied ?? [];
    io.out(applied.length === 0 ? 'database is up to date' : `applied: ${applied.join(', ')}`);
    io.out(
      `migrations recorded: ${(report?.current ?? []).join(', ')} (${rt.storage.database.kind})`,
    );
    return 0;
  } finally {
    await rt.close();
  }
}
