/**
 * The messages of Deepgram's live transcription WebSocket (`/v1/listen`):
 * what the server sends, validated with zod, and the control messages the
 * client sends. Only the fields PRX Voice uses are typed; others are ignored.
 */
import { z } from 'zod';

const wordSchema = z.object({
  word: z.string(),
  /** Seconds from the start of the audio the server received. */
  start: z.number(),
  end: z.number(),
  confidence: z.number(),
  punctuated_word: z.string().optional(),
});

const alternativeSchema = z.object({
  transcript: z.string(),
  confidence: z.number(),
  words: z.array(wordSchema),
});

/** A transcription result: interim (`is_final` false) or final for a span of audio. */
const resultsSchema = z.object({
  type: z.literal('Results'),
  /** Start of the span, seconds. */
  start: z.number(),
  /** Length of the span, seconds. */
  duration: z.number(),
  is_final: z.boolean().optional(),
  speech_final: z.boolean().optional(),
  /** Set on the result that answers a `Finalize`. */
  from_finalize: z.boolean().optional(),
  channel: z.object({ alternatives: z.array(alternativeSchema) }),
});

/** Sent after `CloseStream`: the audio processed, seconds. */
const metadataSchema = z.object({
  type: z.literal('Metadata'),
  request_id: z.string(),
  duration: z.number().nonnegative(),
});

/** The gap after the last finalized word reached `utterance_end_ms`. */
const utteranceEndSchema = z.object({
  type: z.literal('UtteranceEnd'),
  last_word_end: z.number(),
});

/** Voice activity started (`vad_events=true`). */
const speechStartedSchema = z.object({
  type: z.literal('SpeechStarted'),
  timestamp: z.number(),
});

/** A request the server refused mid-stream (e.g. an invalid `Configure`). */
const errorSchema = z.object({
  type: z.literal('Error'),
  description: z.string().optional(),
  message: z.string().optional(),
});

/** Every server message PRX Voice acts on. */
export const deepgramServerMessageSchema = z.discriminatedUnion('type', [
  resultsSchema,
  metadataSchema,
  utteranceEndSchema,
  speechStartedSchema,
  errorSchema,
]);

/** A validated server message. */
export type DeepgramServerMessage = z.infer<typeof deepgramServerMessageSchema>;
/** A validated `Results` message. */
export type DeepgramResults = z.infer<typeof resultsSchema>;

const KNOWN_TYPES: ReadonlySet<string> = new Set([
  'Results',
  'Metadata',
  'UtteranceEnd',
  'SpeechStarted',
  'Error',
]);

const typedSchema = z.object({ type: z.string() });

/** Outcome of reading one text frame. */
export type ParsedFrame =
  | { readonly kind: 'message'; readonly message: DeepgramServerMessage }
  /** A message type this client does not use (newer protocol additions are ignored). */
  | { readonly kind: 'ignored' }
  | { readonly kind: 'invalid'; readonly what: string };

/** Parses and validates one text frame of the server. */
export function parseDeepgramFrame(text: string): ParsedFrame {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'invalid', what: 'a frame that is not JSON' };
  }
  const typed = typedSchema.safeParse(json);
  if (!typed.success) return { kind: 'invalid', what: 'a message without a type' };
  if (!KNOWN_TYPES.has(typed.data.type)) return { kind: 'ignored' };
  const parsed = deepgramServerMessageSchema.safeParse(json);
  if (!parsed.success) return { kind: 'invalid', what: `a malformed ${typed.data.type} message` };
  return { kind: 'message', message: parsed.data };
}

/** The control messages of the client, as text frames. */
export const DEEPGRAM_CONTROL = {
  keepAlive: JSON.stringify({ type: 'KeepAlive' }),
  finalize: JSON.stringify({ type: 'Finalize' }),
  closeStream: JSON.stringify({ type: 'CloseStream' }),
} as const;
