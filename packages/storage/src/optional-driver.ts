/**
 * Storage drivers are optional peer dependencies, loaded only when the
 * configuration selects them: PGlite for the embedded database, `pg` for
 * PostgreSQL, `ioredis` for Redis coordination, the AWS SDK for S3. A driver
 * that is not installed is a clear error naming the package to install.
 */
import { VoiceError } from '@prx-voice/types';

/** True when `err` says `pkg` (or a file of it) could not be found. */
function isMissing(err: unknown, pkg: string): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : '';
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && message.includes(pkg);
}

/**
 * Imports an optional driver; when `pkg` is not installed, rejects with
 * `STORAGE_UNAVAILABLE` saying which configuration needs it and how to add it.
 *
 * @example
 * const { PGlite } = await loadDriver('@electric-sql/pglite', 'the embedded database', () => import('@electric-sql/pglite'));
 */
export async function loadDriver<T>(
  pkg: string,
  usedFor: string,
  load: () => Promise<T>,
): Promise<T> {
  try {
    return await load();
  } catch (cause) {
    if (!isMissing(cause, pkg)) throw cause;
    throw new VoiceError('STORAGE_UNAVAILABLE', {
      message: `${usedFor} needs the package ${pkg}, which is not installed: add it (npm install ${pkg})`,
      retryable: false,
      details: { package: pkg },
      cause,
    });
  }
}
