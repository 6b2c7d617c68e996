/** The CloudEvents `source` of a session's events. */
import { VoiceError } from '@prx-voice/types';
import type { SessionId } from '@prx-voice/types';
import { INSTANCE_ID_PATTERN } from '@prx-voice/core';

const SOURCE = /^\/prx-voice\/([^/]+)\/sessions\/([^/]+)$/;

/**
 * `/prx-voice/{instance}/sessions/{session_id}`; throws `VALIDATION_FAILED`
 * for an instance id outside {@link INSTANCE_ID_PATTERN}.
 */
export function eventSource(instanceId: string, sessionId: SessionId): string {
  if (!INSTANCE_ID_PATTERN.test(instanceId)) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: `instance id "${instanceId.slice(0, 80)}" must match ${String(INSTANCE_ID_PATTERN)}`,
      details: { field: 'instanceId' },
    });
  }
  return `/prx-voice/${instanceId}/sessions/${sessionId}`;
}

/** The instance and session of a `source`, or `undefined` if it is not of the protocol's form. */
export function parseEventSource(
  source: string,
): { readonly instanceId: string; readonly sessionId: string } | undefined {
  const m = SOURCE.exec(source);
  if (m === null) return undefined;
  const [, instanceId = '', sessionId = ''] = m;
  return INSTANCE_ID_PATTERN.test(instanceId) ? { instanceId, sessionId } : undefined;
}
