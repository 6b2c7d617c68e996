/**
 * Stored transcripts of a data subject's sessions, sealed with the subject's key: each
 * text is sealed on its way to storage (bound to its session) and opened on its way
 * out; once the subject is erased the texts cannot be opened and read as `null`.
 */
import { isSealedText, openText, sealText } from './sealing.js';
import type { DataKey } from './sealing.js';
import type { SubjectKeys } from './subject-keys.js';
import type { TenantId } from '@prx-voice/types';

const aadOf = (sessionId: string): string => `prx-voice transcript ${sessionId}`;

/** Seals a session's stored texts with its subject's key. */
export function transcriptSealer(key: DataKey, sessionId: string): (text: string) => string {
  const aad = aadOf(sessionId);
  return (text) => sealText(key, text, aad);
}

/**
 * Opens a session's stored texts: sealed ones with its subject's key (`null` once the
 * subject is erased), others as stored.
 */
export async function transcriptOpener(
  subjects: SubjectKeys | undefined,
  tenantId: TenantId,
  session: { readonly id: string; readonly subject_ref: string | null },
): Promise<(text: string | null) => string | null> {
  if (session.subject_ref === null || subjects === undefined)
    return (text) => (text !== null && isSealedText(text) ? null : text);
  const key = await subjects.openingKey(tenantId, session.subject_ref);
  const aad = aadOf(session.id);
  return (text) => {
    if (text === null || !isSealedText(text)) return text;
    return key === undefined ? null : openText(key, text, aad);
  };
}
