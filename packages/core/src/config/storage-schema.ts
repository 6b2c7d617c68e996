/** The `storage` section: relational store, coordination and object storage. */
import { z } from 'zod';
import { flag, nonEmptyString, urlString } from './schema-helpers.js';

/** `storage.object_store`: where recordings and exports go. */
export const objectStoreSchema = z
  .strictObject({
    kind: z
      .enum(['filesystem', 's3'], { error: 'expected "filesystem" or "s3"' })
      .default('filesystem'),
    /** Filesystem: the directory (default `<data_dir>/objects`). S3: a key prefix. */
    path: nonEmptyString('a path').optional(),
    bucket: nonEmptyString('a bucket name').optional(),
    /** S3-compatible endpoint (MinIO, R2, …); omit for AWS. */
    endpoint: urlString(['http', 'https'], 'https://s3.example.com').optional(),
    region: nonEmptyString('a region such as us-east-1').optional(),
    force_path_style: flag().default(false),
  })
  .superRefine((store, ctx) => {
    if (store.kind === 's3' && store.bucket === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['bucket'],
        message:
          'expected a bucket name: storage.object_store.kind "s3" requires storage.object_store.bucket',
      });
    }
  });

/** The `storage` section. */
export const storageSchema = z.strictObject({
  /** Postgres; unset means embedded PGlite in `data_dir`. Env `DATABASE_URL` fills it. */
  database_url: urlString(
    ['postgres', 'postgresql'],
    'postgres://user:password@host:5432/db',
  ).optional(),
  data_dir: nonEmptyString('a directory path').default('.data'),
  /**
   * Where embedded PGlite runs: `worker` (a thread of its own, so no query blocks the
   * audio loop) or `main` (in-process, for comparison and tests). Ignored with `database_url`.
   */
  embedded_thread: z
    .enum(['worker', 'main'], { error: 'expected "worker" or "main"' })
    .default('worker'),
  /**
   * The nice value (0–19) of embedded PGlite's worker thread on Linux, set once the database
   * is open: above 0, when every core is busy, the audio loop (at the process's 0) gets the
   * CPU first and a write waits. 0 leaves the thread as the process is. Ignored with
   * `database_url`, with `embedded_thread: main`, and off Linux.
   */
  embedded_nice: z
    .number()
    .int('expected a whole number from 0 to 19')
    .min(0, 'expected a whole number from 0 to 19')
    .max(19, 'expected a whole number from 0 to 19')
    .default(0),
  /**
   * How often the embedded database's tables are checked, ms: one whose file grew by a fifth
   * since it was last vacuumed is vacuumed and analyzed (PGlite has no autovacuum; without
   * statistics the planner may scan a tenant's rows to find one). 0 turns it off. Ignored
   * with `database_url` (PostgreSQL's autovacuum does it).
   */
  embedded_maintenance_ms: z
    .number()
    .int('expected 0 (off) or a whole number of ms from 1000 to 86400000')
    .refine((v) => v === 0 || (v >= 1_000 && v <= 86_400_000), {
      message: 'expected 0 (off) or a whole number of ms from 1000 to 86400000',
    })
    .default(60_000),
  /** Redis; unset means in-process coordination. Env `REDIS_URL` fills it. */
  redis_url: urlString(['redis', 'rediss'], 'redis://host:6379').optional(),
  object_store: objectStoreSchema.prefault({}),
});

/** The validated `storage` section. */
export type StorageConfig = z.output<typeof storageSchema>;
/** The validated `storage.object_store` block. */
export type ObjectStoreConfig = z.output<typeof objectStoreSchema>;
