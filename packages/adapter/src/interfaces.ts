/**
 * The provider interfaces of PRX Voice. Each is narrow: the session engine
 * depends on these, never on a provider's SDK. Streams are AsyncIterables
 * that may throw a {@link VoiceError}; cancellation is an AbortSignal.
 */
import type { SampleRate } from '@prx-voice/media';
import { VoiceError } from '@prx-voice/types';
import type { ErrorCode } from '@prx-voice/types';

/** Per-session provider options (`session.update` / config `adapters.<kind>.options`). */
export type ProviderOptions = Readonly<Record<string, unknown>>;

// ---------------------------------------------------------------------------
// Errors

/** Options of {@link providerError}. */
export interface ProviderErrorOptions {
  /** Id of the provider that failed, e.g. `silero`; goes into `details.provider`. */
  readonly provider: string;
  readonly message: string;
  /** Whether repeating the same call on the same provider may succeed; defaults to the code's registry flag. */
  readonly retryable?: boolean;
  /** Whether switching to another provider of the chain may help; goes into `details.fallback`. */
  readonly fallback: boolean;
  readonly cause?: unknown;
  /** More machine-readable context; never secrets. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * A provider's VoiceError, saying whether a retry (`retryable`) or a fallback
 * (`details.fallback`) could help.
 *
 * @example
 * throw providerError('PROVIDER_TIMEOUT', { provider: 'deepgram', message: 'no answer in 5 s', fallback: true });
 */
export function providerError(code: ErrorCode, options: ProviderErrorOptions): VoiceError {
  return new VoiceError(code, {
    message: options.message,
    ...(options.retryable === undefined ? {} : { retryable: options.retryable }),
    details: { ...options.details, provider: options.provider, fallback: options.fallback },
    ...(options.cause === undefined ? {} : { cause: options.cause }),
  });
}

/** Whether an error says that another provider of the chain could help (`details.fallback === true`). */
export function canFallback(error: unknown): boolean {
  return VoiceError.is(error) && error.details['fallback'] === true;
}

// ---------------------------------------------------------------------------
// ASR

/** Opens one streaming recognition for a session. */
export interface AsrOpenOptions {
  /** Sample rate of the PCM16 mono audio that will be pushed. */
  readonly sampleRate: SampleRate;
  /** BCP-47 language, e.g. `en-US`. */
  readonly language: string;
  readonly options?: ProviderOptions;
  /** Aborts the whole stream (session end, failover). */
  readonly signal?: AbortSignal;
}

/** A recognized word with its timing relative to the stream's first sample. */
export interface AsrWord {
  readonly text: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly confidence?: number;
}

/** What a recognition stream yields. Times are relative to the stream's first sample. */
export type AsrEvent =
  | {
      readonly type: 'partial';
      readonly text: string;
      readonly startMs: number;
      readonly endMs: number;
    }
  | {
      readonly type: 'final';
      readonly text: string;
      readonly startMs: number;
      readonly endMs: number;
      readonly confidence?: number;
      readonly words?: readonly AsrWord[];
    }
  /** The provider's own end-of-utterance signal (e.g. Deepgram `UtteranceEnd`). */
  | { readonly type: 'utterance_end'; readonly atMs: number }
  /**
   * Audio processed so far in this stream, for metering: a running total (each report
   * replaces the last; the session meters what is new), never an increment.
   */
  | { readonly type: 'usage'; readonly audioMs: number };

/** One open streaming recognition. */
export interface AsrStream extends AsyncIterable<AsrEvent> {
  /** Pushes PCM16 mono audio; the provider copies what it keeps (the caller reuses the buffer). */
  push(samples: Int16Array): void;
  /** The caller's utterance ended (endpointing decided): emit the final for what was heard. */
  finalize(): void;
  /** No more audio: flush outstanding results, then the iteration ends. */
  end(): void;
  /** Stops at once; the iteration ends (without throwing). */
  abort(): void;
}

/** What an active health probe of a provider is given. */
export interface HealthProbe {
  /** The provider options sessions would use (base URL, credentials, …). */
  readonly options?: ProviderOptions;
  readonly signal: AbortSignal;
}

/** The result of a health probe. */
export interface HealthReport {
  readonly healthy: boolean;
  /** What was checked or what went wrong (never a credential). */
  readonly detail?: string;
}

/**
 * An active health probe: a cheap request that tells whether the provider can
 * serve (an endpoint answers, a credential is accepted, a binary is present).
 * Optional: providers without one are judged by their circuit breakers alone.
 */
export type HealthCheck = (probe: HealthProbe) => Promise<HealthReport>;

/**
 * Checks a session's options for a provider as using them would: throws the
 * same `VALIDATION_FAILED` VoiceError naming the option, else returns. Lets a
 * session with a bad option be refused when it is created or updated instead
 * of failing afterwards.
 */
export type OptionsValidator = (options: unknown) => void;

/** A streaming speech-to-text provider. */
export interface AsrProvider {
  readonly id: string;
  open(options: AsrOpenOptions): AsrStream;
  readonly healthCheck?: HealthCheck;
  readonly validateOptions?: OptionsValidator;
}

// ---------------------------------------------------------------------------
// Agent

/** A tool the agent may call; `parameters` is a JSON Schema object. */
export interface ToolDefinition {
  readonly name: string;
  readonly description: string;
  readonly parameters: Readonly<Record<string, unknown>>;
}

/** A tool call the agent made. */
export interface ToolCall {
  readonly id: string;
  readonly name: string;
  /** The parsed JSON arguments. */
  readonly arguments: unknown;
}

/** One message of the conversation. */
export type ConversationMessage =
  | { readonly role: 'system'; readonly content: string }
  | { readonly role: 'user'; readonly content: string }
  | {
      readonly role: 'assistant';
      readonly content: string;
      readonly toolCalls?: readonly ToolCall[];
    }
  | {
      readonly role: 'tool';
      readonly toolCallId: string;
      readonly name: string;
      readonly content: string;
    };

/** One agent run (or its continuation after tool results). */
export interface AgentRunRequest {
  readonly conversation: readonly ConversationMessage[];
  readonly tools: readonly ToolDefinition[];
  readonly options?: ProviderOptions;
  readonly signal: AbortSignal;
  /**
   * How many characters at the end of the text this run has produced are not
   * yet committed to speech (the caller still holds them). Failover uses it:
   * nothing committed → the run restarts on the next provider; else it
   * continues from what was committed. Without it, all produced text counts
   * as committed.
   */
  readonly uncommittedChars?: () => number;
}

/** What an agent run yields. */
export type AgentEvent =
  | { readonly type: 'token'; readonly text: string }
  | { readonly type: 'tool_call'; readonly call: ToolCall }
  | { readonly type: 'usage'; readonly promptTokens: number; readonly completionTokens: number }
  | { readonly type: 'done'; readonly finishReason: 'stop' | 'tool_calls' | 'length' }
  /**
   * Failover only: the run's text after its first `keep` characters is
   * withdrawn (it was never spoken); what follows replaces it.
   */
  | { readonly type: 'rewind'; readonly keep: number };

/** A language-model (or scripted) agent. */
export interface AgentProvider {
  readonly id: string;
  run(request: AgentRunRequest): AsyncIterable<AgentEvent>;
  readonly healthCheck?: HealthCheck;
  readonly validateOptions?: OptionsValidator;
}

// ---------------------------------------------------------------------------
// TTS

/** One synthesis. `text` may be a stream of chunks for providers that accept one. */
export interface TtsRequest {
  readonly text: string | AsyncIterable<string>;
  /** Rate of the PCM16 mono audio to produce. */
  readonly sampleRate: SampleRate;
  readonly voice?: string;
  readonly language?: string;
  readonly options?: ProviderOptions;
  readonly signal: AbortSignal;
}

/** What a synthesis yields. */
export type TtsEvent =
  /** PCM16 mono at the requested rate; the consumer may keep the array. */
  | { readonly type: 'audio'; readonly samples: Int16Array }
  /** A word's timing within this synthesis, when the provider reports it. */
  | {
      readonly type: 'word';
      readonly text: string;
      readonly startMs: number;
      readonly endMs: number;
    }
  | { readonly type: 'usage'; readonly characters: number };

/** A text-to-speech provider. */
export interface TtsProvider {
  readonly id: string;
  synthesize(request: TtsRequest): AsyncIterable<TtsEvent>;
  readonly healthCheck?: HealthCheck;
  readonly validateOptions?: OptionsValidator;
}

// ---------------------------------------------------------------------------
// VAD

/** The VAD state machine shared by every detector. */
export type VadState = 'quiet' | 'starting' | 'speaking' | 'stopping';

/** Settings of a VAD stream. */
export interface VadOptions {
  readonly sampleRate: SampleRate;
  /** Speech probability at or above which a frame counts as speech (0–1). */
  readonly threshold: number;
  /** Speech frames must add up to this long (dips not counted) before `speech_start` is reported. */
  readonly minSpeechMs: number;
  /** Silence must last this long before `speech_end` is reported. */
  readonly minSilenceMs: number;
  /** Frames quieter than this RMS (0–1 of full scale) are silence whatever the model says. */
  readonly minVolume: number;
  /**
   * Longest dip (non-speech frames) a starting speech run survives, ms (default
   * 100): syllable dips and plosive closures do not reset the onset.
   */
  readonly maxDipMs?: number;
}

/** A VAD transition, with times on the stream's timeline (ms of audio pushed). */
export type VadEvent =
  | { readonly type: 'speech_start'; readonly atMs: number; readonly probability: number }
  | { readonly type: 'speech_end'; readonly atMs: number; readonly speechMs: number };

/** One VAD stream: per-session state. */
export interface VadStream {
  /** Pushes PCM16 mono audio of any length; events arrive through `onEvent`, possibly later (async inference). */
  push(samples: Int16Array): void;
  readonly state: VadState;
  /** Probability of the last processed frame. */
  readonly probability: number;
  close(): void;
}

/** A voice activity detector. */
export interface VadProvider {
  readonly id: string;
  open(
    options: VadOptions,
    onEvent: (event: VadEvent) => void,
    onError?: (error: VoiceError) => void,
  ): VadStream;
  /** Whether it can run here (a model that loads and infers); none means always. */
  readonly healthCheck?: HealthCheck;
}
