/**
 * Active health probes the providers share: an authenticated `GET` of a cheap
 * endpoint for the HTTP providers, and a look for the engine's executable for
 * the local ones. A probe never throws: it reports `healthy: false` with a
 * detail that names what failed and never holds a credential.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import type { HealthReport } from '../interfaces.js';

/** One HTTP probe. */
export interface HttpProbe {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly signal: AbortSignal;
  readonly fetch: typeof globalThis.fetch;
  /** Values scrubbed from any detail (API keys, custom headers). */
  readonly secrets: readonly string[];
}

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s !== '') out = out.split(s).join('[redacted]');
  return out;
}

/**
 * `GET url`: healthy on a 2xx answer. 401/403 say the credential was refused;
 * other statuses and network failures say the endpoint cannot serve.
 */
export async function probeHttp(probe: HttpProbe): Promise<HealthReport> {
  const path = new URL(probe.url).pathname;
  try {
    const res = await probe.fetch(probe.url, {
      method: 'GET',
      headers: probe.headers,
      signal: probe.signal,
    });
    // The body is not needed; release the connection.
    await res.body?.cancel().catch(() => undefined);
    if (res.ok) return { healthy: true, detail: `GET ${path} ${String(res.status)}` };
    if (res.status === 401 || res.status === 403) {
      return {
        healthy: false,
        detail: `GET ${path} ${String(res.status)}: the credential was refused`,
      };
    }
    return { healthy: false, detail: `GET ${path} ${String(res.status)}` };
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : '';
    const message = err instanceof Error ? err.message : String(err);
    return {
      healthy: false,
      detail: scrub(
        `GET ${path} failed: ${message}${cause === '' ? '' : ` (${cause})`}`,
        probe.secrets,
      ),
    };
  }
}

/** Runs a probe; a throw (invalid options, say) is an unhealthy report with its message. */
export async function safeProbe(probe: () => Promise<HealthReport>): Promise<HealthReport> {
  try {
    return await probe();
  } catch (err) {
    return { healthy: false, detail: err instanceof Error ? err.message : String(err) };
  }
}

/** The report for a provider that needs an API key and has none. */
export function noApiKey(variable: string): HealthReport {
  return { healthy: false, detail: `no API key (set the api_key option or ${variable})` };
}

/** Where an executable is: an absolute path as is, else the first match on `PATH`. */
export function findExecutable(
  command: string,
  path: string | undefined = process.env['PATH'],
): string | undefined {
  const candidates = isAbsolute(command)
    ? [command]
    : (path ?? '')
        .split(delimiter)
        .filter((d) => d !== '')
        .map((d) => join(d, command));
  for (const file of candidates) {
    try {
      if (!statSync(file).isFile()) continue;
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Healthy when `command` is an executable on the PATH (and each of `files` exists). */
export function probeExecutable(
  command: string,
  files: readonly string[] = [],
  path?: string,
): HealthReport {
  const found = findExecutable(command, path);
  if (found === undefined) return { healthy: false, detail: `${command} is not installed` };
  for (const file of files) {
    try {
      statSync(file);
    } catch {
      return { healthy: false, detail: `${file} is missing` };
    }
  }
  return { healthy: true, detail: found };
}
