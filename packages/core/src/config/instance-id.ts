/** Derivation of the default `deploy.instance_id` from host name and process id. */
import { hostname } from 'node:os';

/** What an instance id may contain: it appears in URL paths (CloudEvents `source`) and Redis keys. */
export const INSTANCE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The host facts an instance id is derived from; injectable so tests are deterministic. */
export interface InstanceRuntime {
  /** Host name (the pod name under Kubernetes). */
  readonly hostname: string;
  /** Process id. */
  readonly pid: number;
}

/** `<hostname>-<pid>`, lower-cased, with anything outside `[a-z0-9.-]` replaced by `-`. */
export function deriveInstanceId(runtime: InstanceRuntime): string {
  const host = runtime.hostname
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .replace(/-+$/, '')
    .slice(0, 48);
  return `${host === '' ? 'prx-voice' : host}-${runtime.pid}`;
}

/** The instance id of the current process. */
export function defaultInstanceId(): string {
  return deriveInstanceId({ hostname: hostname(), pid: process.pid });
}
