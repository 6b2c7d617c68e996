import { describeAssistantsContract } from './assistants.contract.js';
import { describeAuditRetentionContract } from './audit-retention.contract.js';
import { describeBillingContract } from './billing.contract.js';
import { openDatabase } from './connect.js';
import type { PGliteThread } from './connect.js';
import { describeDatabaseContract } from './database.contract.js';
import { describeEventWriterContract } from './event-writer.contract.js';
import { describePhoneNumberMigrationContract } from './phone-number-migration.contract.js';
import { describeSubjectsContract } from './subjects.contract.js';
import { describeUsageExportContract } from './usage-export.contract.js';

// The server's default runs PGlite in a worker thread; `main` is the in-process variant.
for (const thread of ['worker', 'main'] as const satisfies readonly PGliteThread[]) {
  const name = `PGlite (embedded, in memory, ${thread === 'worker' ? 'worker thread' : 'in-process'})`;
  const inMemory = async () => {
    const handle = await openDatabase({ kind: 'pglite', dataDir: 'memory', thread });
    return { handle, cleanup: () => handle.close() };
  };
  // A database without this build's migrations: PGlite's own initdb, not the (migrated) template.
  const unmigrated = async () => {
    const handle = await openDatabase({
      kind: 'pglite',
      dataDir: 'memory',
      thread,
      templateDir: false,
    });
    return { handle, cleanup: () => handle.close() };
  };
  describeDatabaseContract(name, inMemory);
  describeEventWriterContract(name, inMemory);
  describeBillingContract(name, inMemory);
  describeUsageExportContract(name, inMemory);
  describeSubjectsContract(name, inMemory);
  describeAssistantsContract(name, inMemory);
  describePhoneNumberMigrationContract(name, unmigrated);
  describeAuditRetentionContract(name, inMemory);
}
