import { openDatabase } from './connect.js';
import { describeDatabaseContract } from './database.contract.js';

describeDatabaseContract('PGlite (embedded, in memory)', async () => {
  const handle = await openDatabase({ kind: 'pglite', dataDir: 'memory' });
  return { handle, cleanup: () => handle.close() };
});
