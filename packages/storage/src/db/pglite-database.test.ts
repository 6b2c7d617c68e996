import { describeAssistantsContract } from './assistants.contract.js';
import { describeAuditRetentionContract } from './audit-retention.contract.js';
import { describeBillingContract } from './billing.contract.js';
import { openDatabase } from './connect.js';
import { describeDatabaseContract } from './database.contract.js';
import { describeSubjectsContract } from './subjects.contract.js';
import { describeUsageExportContract } from './usage-export.contract.js';

const inMemory = async () => {
  const handle = await openDatabase({ kind: 'pglite', dataDir: 'memory' });
  return { handle, cleanup: () => handle.close() };
};

describeDatabaseContract('PGlite (embedded, in memory)', inMemory);
describeBillingContract('PGlite (embedded, in memory)', inMemory);
describeUsageExportContract('PGlite (embedded, in memory)', inMemory);
describeSubjectsContract('PGlite (embedded, in memory)', inMemory);
describeAssistantsContract('PGlite (embedded, in memory)', inMemory);
describeAuditRetentionContract('PGlite (embedded, in memory)', inMemory);
