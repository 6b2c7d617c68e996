import { VoiceError } from '@prx-voice/types';
import { canFallback } from '../interfaces.js';
import type { AsrEvent, AsrOpenOptions, AsrProvider, AsrStream } from '../interfaces.js';
import { fallbackReason } from './failover-agent.js';
import type { FailoverMember, FallbackNotice } from './failover-agent.js';

/** Audio of the current utterance kept for replay to the next provider, ms (longer utterances keep their end). */
const MAX_REPLAY_MS = 60_000;

/**
 * A streaming ASR over an ordered chain of providers. It keeps the audio of
 * the current utterance (since the last final); when the provider fails, the
 * next one is opened, the utterance's audio replayed into it and a pending
 * finalize repeated, so no words are lost and none are transcribed twice.
 *
 * @example
 * const asr = createFailoverAsr({ members: [{ provider: deepgram, breaker }, { provider: sphinx, breaker: b2 }], onFallback });
 */
export function createFailoverAsr(options: {
  readonly members: readonly FailoverMember<AsrProvider>[];
  readonly onFallback: (notice: FallbackNotice) => void;
}): AsrProvider {
  const first = options.members[0];
  if (first === undefined)
    throw new VoiceError('CONFIG_INVALID', {
      message: 'a failover chain needs at least one provider',
    });
  return {
    id: first.provider.id,
    open: (o) => new FailoverAsrStream(options.members, options.onFallback, o),
  };
}

class FailoverAsrStream implements AsrStream {
  readonly #members: readonly FailoverMember<AsrProvider>[];
  readonly #onFallback: (notice: FallbackNotice) => void;
  readonly #options: AsrOpenOptions;
  readonly #replay: Int16Array;
  #replayLength = 0;
  #index = -1;
  #stream: AsrStream | undefined;
  #finalizePending = false;
  #ended = false;
  #aborted = false;

  constructor(
    members: readonly FailoverMember<AsrProvider>[],
    onFallback: (n: FallbackNotice) => void,
    options: AsrOpenOptions,
  ) {
    this.#members = members;
    this.#onFallback = onFallback;
    this.#options = options;
    this.#replay = new Int16Array((options.sampleRate * MAX_REPLAY_MS) / 1000);
    this.#openNext(undefined);
  }

  #openNext(error: unknown): boolean {
    const from = this.#members[this.#index];
    for (let i = this.#index + 1; i < this.#members.length; i++) {
      const m = this.#members[i];
      if (m === undefined) continue;
      if (!m.breaker.tryAcquire()) continue;
      if (from !== undefined)
        this.#onFallback({
          kind: 'asr',
          from: from.provider.id,
          to: m.provider.id,
          ...fallbackReason(error),
        });
      this.#index = i;
      this.#stream = m.provider.open(this.#options);
      if (this.#replayLength > 0) this.#stream.push(this.#replay.subarray(0, this.#replayLength));
      if (this.#finalizePending) this.#stream.finalize();
      if (this.#ended) this.#stream.end();
      return true;
    }
    return false;
  }

  push(samples: Int16Array): void {
    const cap = this.#replay.length;
    if (samples.length >= cap) {
      this.#replay.set(samples.subarray(samples.length - cap));
      this.#replayLength = cap;
    } else {
      if (this.#replayLength + samples.length > cap) {
        const keep = cap - samples.length;
        this.#replay.copyWithin(0, this.#replayLength - keep, this.#replayLength);
        this.#replayLength = keep;
      }
      this.#replay.set(samples, this.#replayLength);
      this.#replayLength += samples.length;
    }
    this.#stream?.push(samples);
  }

  finalize(): void {
    this.#finalizePending = true;
    this.#stream?.finalize();
  }

  end(): void {
    this.#ended = true;
    this.#stream?.end();
  }

  abort(): void {
    this.#aborted = true;
    this.#stream?.abort();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<AsrEvent> {
    for (;;) {
      const stream = this.#stream;
      if (stream === undefined)
        throw new VoiceError('PROVIDER_UNAVAILABLE', {
          message: 'every ASR provider of the chain is unavailable',
        });
      const member = this.#members[this.#index];
      try {
        for await (const event of stream) {
          if (event.type === 'final') {
            // The utterance is transcribed: nothing of it needs replaying any more.
            this.#replayLength = 0;
            this.#finalizePending = false;
          }
          yield event;
        }
        member?.breaker.onSuccess(0);
        return;
      } catch (err) {
        member?.breaker.onFailure();
        if (this.#aborted) return;
        if (!canFallback(err) || !this.#openNext(err))
          throw VoiceError.from(err, 'PROVIDER_UNAVAILABLE');
      }
    }
  }
}
