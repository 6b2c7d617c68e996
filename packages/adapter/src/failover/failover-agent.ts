import type { Clock } from '@prx-voice/core';
import { VoiceError } from '@prx-voice/types';
import type { AdapterKind, ErrorCode } from '@prx-voice/types';
import { canFallback } from '../interfaces.js';
import type { AgentEvent, AgentProvider, AgentRunRequest } from '../interfaces.js';
import type { CircuitBreaker } from './circuit-breaker.js';

/** One provider of a failover chain with its breaker. */
export interface FailoverMember<P> {
  readonly provider: P & { readonly id: string };
  readonly breaker: CircuitBreaker;
}

/** A switch from one provider to the next (the `adapter.fallback` event's data). */
export interface FallbackNotice {
  readonly kind: AdapterKind;
  readonly from: string;
  readonly to: string;
  readonly reason: 'error' | 'timeout' | 'circuit_open';
  readonly code?: ErrorCode;
}

/** Why a provider was left. */
export function fallbackReason(error: unknown): {
  reason: FallbackNotice['reason'];
  code?: ErrorCode;
} {
  if (!VoiceError.is(error)) return { reason: 'error' };
  return { reason: error.code === 'PROVIDER_TIMEOUT' ? 'timeout' : 'error', code: error.code };
}

/** The members whose breakers let a call through, in chain order (skipped ones reported). */
export function* usableMembers<P>(
  kind: AdapterKind,
  members: readonly FailoverMember<P>[],
  onFallback: (notice: FallbackNotice) => void,
): Generator<{ member: FailoverMember<P>; next: FailoverMember<P> | undefined }> {
  for (let i = 0; i < members.length; i++) {
    const member = members[i];
    if (member === undefined) continue;
    const next = members[i + 1];
    if (!member.breaker.tryAcquire()) {
      if (next !== undefined)
        onFallback({
          kind,
          from: member.provider.id,
          to: next.provider.id,
          reason: 'circuit_open',
        });
      continue;
    }
    yield { member, next };
  }
}

/** The request that continues a reply another provider started. */
export function continuationRequest(request: AgentRunRequest, spoken: string): AgentRunRequest {
  return {
    ...request,
    conversation: [
      ...request.conversation,
      { role: 'assistant', content: spoken },
      {
        role: 'system',
        content:
          'Your previous reply was cut off after the text above. Continue it from exactly that point, without repeating any of it.',
      },
    ],
  };
}

/**
 * An agent over an ordered chain of providers. A run that fails before any
 * token, or before any of its text was committed to speech (see
 * `uncommittedChars`), restarts on the next provider (a `rewind` withdraws
 * the uncommitted text); one that fails after speech continues on the next
 * provider from what was committed (never repeating it); one that already
 * made tool calls is not retried (the tools ran). Errors that
 * say no fallback can help are thrown at once.
 *
 * @example
 * const agent = createFailoverAgent({ clock, members: [{ provider: openai, breaker }, { provider: anthropic, breaker: b2 }], onFallback });
 */
export function createFailoverAgent(options: {
  readonly clock: Pick<Clock, 'now'>;
  readonly members: readonly FailoverMember<AgentProvider>[];
  readonly onFallback: (notice: FallbackNotice) => void;
}): AgentProvider {
  const first = options.members[0];
  if (first === undefined)
    throw new VoiceError('CONFIG_INVALID', {
      message: 'a failover chain needs at least one provider',
    });
  return {
    id: first.provider.id,
    async *run(request: AgentRunRequest): AsyncGenerator<AgentEvent> {
      let produced = '';
      let toolCalls = false;
      let lastError: VoiceError | undefined;
      for (const { member, next } of usableMembers('agent', options.members, options.onFallback)) {
        const started = options.clock.now();
        const req = produced === '' ? request : continuationRequest(request, produced);
        try {
          for await (const event of member.provider.run(req)) {
            if (event.type === 'token') produced += event.text;
            if (event.type === 'tool_call') toolCalls = true;
            yield event;
          }
          member.breaker.onSuccess(options.clock.now() - started);
          return;
        } catch (err) {
          member.breaker.onFailure();
          lastError = VoiceError.from(err, 'PROVIDER_UNAVAILABLE');
          if (request.signal.aborted) return;
          if (!canFallback(err) || toolCalls || next === undefined) throw lastError;
          options.onFallback({
            kind: 'agent',
            from: member.provider.id,
            to: next.provider.id,
            ...fallbackReason(err),
          });
          // Text not yet committed to speech is withdrawn: the next provider restarts (nothing
          // committed) or continues from what was committed, never from words nobody heard.
          const uncommitted = Math.min(produced.length, request.uncommittedChars?.() ?? 0);
          if (uncommitted > 0) {
            produced = produced.slice(0, produced.length - uncommitted);
            yield { type: 'rewind', keep: produced.length };
          }
        }
      }
      throw (
        lastError ??
        new VoiceError('PROVIDER_UNAVAILABLE', {
          message: 'every agent provider of the chain is unavailable (circuits open)',
        })
      );
    },
  };
}
