import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { describe, it } from 'vitest';
import { describeAuditRetentionContract } from './audit-retention.contract.js';
import { describeBillingContract } from './billing.contract.js';
import { openDatabase } from './connect.js';
import { describeDatabaseContract } from './database.contract.js';
import { describeEventWriterContract } from './event-writer.contract.js';
import { describePhoneNumberMigrationContract } from './phone-number-migration.contract.js';
import { describeAssistantsContract } from './assistants.contract.js';
import { describeSubjectsContract } from './subjects.contract.js';
import { describeUsageExportContract } from './usage-export.contract.js';

const url = process.env.DATABASE_URL;

if (url === undefined || url === '') {
  describe('database contract: PostgreSQL', () => {
    // In CI a missing DATABASE_URL is a failure, never a silent skip.
    it.skipIf(process.env.CI === undefined)('needs DATABASE_URL', () => {
      throw new Error('DATABASE_URL is not set: the PostgreSQL contract suite cannot run');
    });
  });
} else {
  const inFreshSchema = async () => {
    const schema = `prx_test_${randomBytes(6).toString('hex')}`;
    const handle = await openDatabase({ kind: 'postgres', url, schema });
    return {
      handle,
      async cleanup() {
        await sql`drop schema ${sql.id(schema)} cascade`.execute(handle.db);
        await handle.close();
      },
    };
  };
  describeDatabaseContract('PostgreSQL (DATABASE_URL)', inFreshSchema);
  describeEventWriterContract('PostgreSQL (DATABASE_URL)', inFreshSchema);
  describeBillingContract('PostgreSQL (DATABASE_URL)', inFreshSchema);
  describeUsageExportContract('PostgreSQL (DATABASE_URL)', inFreshSchema);
  describeSubjectsContract('PostgreSQL (DATABASE_URL)', inFreshSchema);
  describeAssistantsContract('PostgreSQL (DATABASE_URL)', inFreshSchema);
  describePhoneNumberMigrationContract('PostgreSQL (DATABASE_URL)', inFreshSchema);
  describeAuditRetentionContract('PostgreSQL (DATABASE_URL)', inFreshSchema);
}
