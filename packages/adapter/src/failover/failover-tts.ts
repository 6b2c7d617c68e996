import type { Clock } from '@prx-voice/core';
import { VoiceError } from '@prx-voice/types';
import { canFallback } from '../interfaces.js';
import type { TtsEvent, TtsProvider, TtsRequest } from '../interfaces.js';
import { fallbackReason, usableMembers } from './failover-agent.js';
import type { FailoverMember, FallbackNotice } from './failover-agent.js';

/** Speech rate assumed when a provider gives no word timings, ms per character. */
export const ESTIMATED_MS_PER_CHAR = 65;

/**
 * The text still to be spoken after `spokenMs` of a synthesis of `text`:
 * words whose audio ended by then (from the provider's word timings) are
 * dropped, else a share estimated from the speech rate, cut back to a word
 * boundary so nothing is skipped.
 */
export function unspokenRemainder(
  text: string,
  spokenMs: number,
  words: readonly { text: string; endMs: number }[],
): string {
  const tokens = text.split(/(\s+)/);
  let spokenWords = 0;
  if (words.length > 0) {
    spokenWords = words.filter((w) => w.endMs <= spokenMs).length;
  } else {
    const chars = Math.floor(spokenMs / ESTIMATED_MS_PER_CHAR);
    let seen = 0;
    for (const t of tokens) {
      if (/^\s+$/.test(t) || t === '') continue;
      if (seen + t.length > chars) break;
      seen += t.length + 1;
      spokenWords += 1;
    }
  }
  let out = '';
  let count = 0;
  for (const t of tokens) {
    if (t === '' || /^\s+$/.test(t)) {
      if (count > spokenWords) out += t;
      continue;
    }
    count += 1;
    if (count > spokenWords) out += t;
  }
  return out.trim();
}

async function collectText(text: TtsRequest['text']): Promise<string> {
  if (typeof text === 'string') return text;
  let all = '';
  for await (const chunk of text) all += chunk;
  return all;
}

/**
 * A TTS over an ordered chain of providers: a synthesis that fails before any
 * audio restarts on the next provider; one that fails mid-way resynthesizes
 * only the unspoken remainder there, so nothing is said twice.
 *
 * @example
 * const tts = createFailoverTts({ clock, members: [{ provider: cartesia, breaker }, { provider: espeak, breaker: b2 }], onFallback });
 */
export function createFailoverTts(options: {
  readonly clock: Pick<Clock, 'now'>;
  readonly members: readonly FailoverMember<TtsProvider>[];
  readonly onFallback: (notice: FallbackNotice) => void;
}): TtsProvider {
  const first = options.members[0];
  if (first === undefined)
    throw new VoiceError('CONFIG_INVALID', {
      message: 'a failover chain needs at least one provider',
    });
  return {
    id: first.provider.id,
    async *synthesize(request: TtsRequest): AsyncGenerator<TtsEvent> {
      // A streamed text is gathered first, so the remainder can be computed after a failure.
      let text = await collectText(request.text);
      let lastError: VoiceError | undefined;
      for (const { member, next } of usableMembers('tts', options.members, options.onFallback)) {
        const started = options.clock.now();
        let spokenMs = 0;
        const words: { text: string; endMs: number }[] = [];
        try {
          for await (const event of member.provider.synthesize({ ...request, text })) {
            if (event.type === 'audio')
              spokenMs += (event.samples.length * 1000) / request.sampleRate;
            if (event.type === 'word') words.push({ text: event.text, endMs: event.endMs });
            yield event;
          }
          member.breaker.onSuccess(options.clock.now() - started);
          return;
        } catch (err) {
          member.breaker.onFailure();
          lastError = VoiceError.from(err, 'PROVIDER_UNAVAILABLE');
          if (request.signal.aborted) return;
          if (!canFallback(err) || next === undefined) throw lastError;
          text = unspokenRemainder(text, spokenMs, words);
          options.onFallback({
            kind: 'tts',
            from: member.provider.id,
            to: next.provider.id,
            ...fallbackReason(err),
          });
          if (text === '') return;
        }
      }
      throw (
        lastError ??
        new VoiceError('PROVIDER_UNAVAILABLE', {
          message: 'every TTS provider of the chain is unavailable (circuits open)',
        })
      );
    },
  };
}
