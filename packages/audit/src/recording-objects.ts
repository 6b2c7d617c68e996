/**
 * How a recording's objects are read back: a stored WAV as it is, a sealed one opened
 * with its data subject's key (each sealed object is bound to its own object key).
 */
import type { ObjectStore, RecordingRow } from '@prx-voice/storage';
import { VoiceError } from '@prx-voice/types';
import { openStream } from './sealing-stream.js';
import type { DataKey } from './sealing.js';

/** The additional data every sealed object of a recording is bound to: its object key. */
export function recordingAad(objectKey: string): string {
  return `prx-voice recording ${objectKey}`;
}

/**
 * A stored recording as a stream of its WAV bytes, opened with `key` when sealed;
 * `NOT_FOUND` when it is sealed and there is no key (its subject was erased).
 */
export async function recordingStream(
  store: Pick<ObjectStore, 'getStream'>,
  row: Pick<RecordingRow, 'id' | 'object_key' | 'subject_ref'>,
  key: DataKey | undefined,
): Promise<AsyncIterable<Uint8Array>> {
  if (row.subject_ref !== null && key === undefined) {
    throw new VoiceError('NOT_FOUND', {
      message: `Recording ${row.id} cannot be opened: its data subject was erased.`,
      details: { recording_id: row.id },
    });
  }
  const body = await store.getStream(row.object_key);
  return key === undefined || row.subject_ref === null
    ? body
    : openStream(key, body, recordingAad(row.object_key));
}
