/**
 * The data-subject keys `audit.subjects` describes, the signer of export links and the
 * sealing of assistants' secrets: sealing with the configured master key (given inline or
 * in a file read at start-up; one that is unreadable or not 32 bytes stops start-up naming
 * the key), or no sealing without one — which the server warns about as it starts.
 */
import { readFileSync } from 'node:fs';
import {
  createEventSealing,
  createSecretBox,
  createSubjectKeys,
  parseMasterKey,
} from '@prx-voice/audit';
import type { EventSealing, SubjectKeys } from '@prx-voice/audit';
import { subjectContentFields } from '@prx-voice/event';
import type { Config, Logger } from '@prx-voice/core';
import type { ObjectStore, Repositories, SessionRow } from '@prx-voice/storage';
import { assistantSecrets } from '../agents/assistant-secrets.js';
import type { AssistantSecrets } from '../agents/assistant-secrets.js';
import { recoverRecordings } from './recording-join.js';
import { VoiceError } from '@prx-voice/types';
import { exportLinks } from './subject-routes.js';
import type { ExportLinks } from './subject-routes.js';

function invalid(key: string, expected: string): VoiceError {
  return new VoiceError('CONFIG_INVALID', {
    message: `Invalid configuration (1 problem):\n  - ${key}: ${expected}`,
  });
}

/** What the compliance features of a server work with. */
export interface Compliance {
  readonly subjects: SubjectKeys;
  /** Seals subjects' content in the session event log (the log's codec while `sealing`). */
  readonly events: EventSealing;
  readonly links: ExportLinks;
  /** Seals assistants' tool secrets and signing secrets at rest (with the master key). */
  readonly assistantSecrets: AssistantSecrets;
  /** Where recordings and exports go (none: no recording, no export). */
  readonly store: ObjectStore | undefined;
  /** Joins the recordings a lost session left in chunks (recovery calls it; never throws). */
  recoverRecordings(session: SessionRow): Promise<void>;
}

/** The subject keys service of a server, and its export links' signer. */
export function complianceFromConfig(
  config: Config,
  repos: Repositories,
  store: ObjectStore | undefined,
  logger?: Logger,
): Compliance {
  const s = config.audit.subjects;
  let masterKey;
  if (s.master_key !== undefined) {
    masterKey = parseMasterKey(s.master_key, 'audit.subjects.master_key');
  } else if (s.master_key_file !== undefined) {
    let text: string;
    try {
      text = readFileSync(s.master_key_file, 'utf8').trim();
    } catch (err) {
      throw invalid(
        'audit.subjects.master_key_file',
        `cannot read ${s.master_key_file} (${err instanceof Error ? err.message : String(err)})`,
      );
    }
    try {
      masterKey = parseMasterKey(text, 'audit.subjects.master_key_file');
    } catch {
      throw invalid(
        'audit.subjects.master_key_file',
        'expected a 32-byte key: base64 or 64 hex digits',
      );
    }
  }
  if (masterKey === undefined)
    logger?.warn(
      { setting: 'audit.subjects.master_key' },
      "no master key: assistants' tool secrets and signing secrets are stored unencrypted, data subjects' recordings, transcripts and event payloads are not sealed, and export links stop working on a restart",
    );
  const subjects = createSubjectKeys({
    repos,
    metadataKeys: s.metadata_keys,
    ...(masterKey === undefined ? {} : { masterKey }),
  });
  const events = createEventSealing({
    subjects,
    repos,
    fieldsOf: subjectContentFields,
    onOpenFailed: (err, where) =>
      logger?.warn(
        {
          tenant_id: where.tenantId,
          session_id: where.sessionId,
          seq: where.seq,
          error: err instanceof Error ? err.message : String(err),
        },
        'a sealed event did not open: served erased',
      ),
  });
  return {
    subjects,
    events,
    links: exportLinks(masterKey),
    assistantSecrets: assistantSecrets(
      createSecretBox(masterKey === undefined ? {} : { masterKey }),
    ),
    store,
    async recoverRecordings(session) {
      if (store === undefined) return;
      try {
        const rows = await recoverRecordings({ store, repos, subjects }, session);
        for (const row of rows)
          logger?.info(
            { tenant_id: session.tenant_id, session_id: session.id, recording_id: row.id },
            'recording of a lost session joined from its chunks',
          );
      } catch (err) {
        logger?.warn(
          {
            tenant_id: session.tenant_id,
            session_id: session.id,
            error: err instanceof Error ? err.message : String(err),
          },
          'joining the recording of a lost session failed',
        );
      }
    },
  };
}
