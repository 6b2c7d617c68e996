/**
 * The messages of Cartesia's TTS WebSocket (`/tts/websocket`): the generation
 * and cancel requests the client sends, and what the server answers per
 * context (`chunk`, `timestamps`, `done`, `error`), validated with zod. Only
 * the fields PRX Voice uses are typed; other message types are ignored. An
 * `error` message becomes a VoiceError here.
 */
import { z } from 'zod';
import type { SampleRate } from '@prx-voice/media';
import type { VoiceError } from '@prx-voice/types';
import { providerError } from '../../interfaces.js';
import { scrubProviderText } from './credentials.js';
import { httpStatusError } from './provider-errors.js';

const PROVIDER = 'cartesia';

/** What stays the same on every input of one context (the docs require it). */
export interface CartesiaContextSettings {
  readonly model_id: string;
  readonly voice: { readonly mode: 'id'; readonly id: string };
  readonly output_format: {
    readonly container: 'raw';
    readonly encoding: 'pcm_s16le';
    readonly sample_rate: SampleRate;
  };
  readonly language: string;
  readonly context_id: string;
  readonly add_timestamps: boolean;
}

/**
 * A generation request as a text frame: `transcript` continues the context's
 * text verbatim; `continue` says whether more input follows.
 */
export function cartesiaGenerationFrame(
  settings: CartesiaContextSettings,
  transcript: string,
  more: boolean,
): string {
  return JSON.stringify({
    model_id: settings.model_id,
    transcript,
    voice: settings.voice,
    output_format: settings.output_format,
    language: settings.language,
    context_id: settings.context_id,
    add_timestamps: settings.add_timestamps,
    continue: more,
  });
}

/** The request that stops a context's generation. */
export function cartesiaCancelFrame(contextId: string): string {
  return JSON.stringify({ context_id: contextId, cancel: true });
}

const contextIdSchema = z.string().optional();

/** Audio: base64 of raw PCM in the requested `output_format`. */
const chunkSchema = z.object({
  type: z.literal('chunk'),
  context_id: contextIdSchema,
  data: z.base64(),
});

/** Word timings, seconds from the start of the context's audio. */
const timestampsSchema = z.object({
  type: z.literal('timestamps'),
  context_id: contextIdSchema,
  word_timestamps: z
    .object({
      words: z.array(z.string()),
      start: z.array(z.number().nonnegative()),
      end: z.array(z.number().nonnegative()),
    })
    .refine((w) => w.words.length === w.start.length && w.words.length === w.end.length, {
      message: 'words, start and end differ in length',
    }),
});

/** Every input of the context was spoken. */
const doneSchema = z.object({ type: z.literal('done'), context_id: contextIdSchema });

/**
 * A failure: `status_code` (HTTP-like), `error_code`, `title` and `message`
 * since API version 2026-03-01; older versions put text in `error`.
 */
const errorSchema = z.object({
  type: z.literal('error'),
  context_id: contextIdSchema,
  status_code: z.number().int().optional(),
  error_code: z.string().nullable().optional(),
  title: z.string().optional(),
  message: z.string().optional(),
  error: z.string().optional(),
});

/** Every server message PRX Voice acts on. */
const cartesiaServerMessageSchema = z.discriminatedUnion('type', [
  chunkSchema,
  timestampsSchema,
  doneSchema,
  errorSchema,
]);

/** A validated server message. */
export type CartesiaServerMessage = z.infer<typeof cartesiaServerMessageSchema>;
/** A validated `error` message. */
export type CartesiaErrorMessage = z.infer<typeof errorSchema>;

const KNOWN_TYPES: ReadonlySet<string> = new Set(['chunk', 'timestamps', 'done', 'error']);

const typedSchema = z.object({ type: z.string(), context_id: contextIdSchema });

/** Outcome of reading one text frame. */
export type CartesiaFrame =
  | { readonly kind: 'message'; readonly message: CartesiaServerMessage }
  /** A type this client does not use (`flush_done`, `phoneme_timestamps`, newer additions). */
  | { readonly kind: 'ignored' }
  | { readonly kind: 'invalid'; readonly what: string };

/**
 * Parses one text frame. Messages of another context are `ignored` without
 * being validated; a message without `context_id` counts as this connection's.
 */
export function parseCartesiaFrame(text: string, contextId: string): CartesiaFrame {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'invalid', what: 'a frame that is not JSON' };
  }
  const typed = typedSchema.safeParse(json);
  if (!typed.success) return { kind: 'invalid', what: 'a message without a type' };
  const { type, context_id: context } = typed.data;
  if (context !== undefined && context !== contextId) return { kind: 'ignored' };
  if (!KNOWN_TYPES.has(type)) return { kind: 'ignored' };
  const parsed = cartesiaServerMessageSchema.safeParse(json);
  if (!parsed.success) return { kind: 'invalid', what: `a malformed ${type} message` };
  return { kind: 'message', message: parsed.data };
}

/**
 * An `error` message as a VoiceError, its `status_code` mapped as an HTTP
 * status would be (401/403 auth, 429 rate limit, 5xx unavailable, else
 * `PROVIDER_ERROR`); the message quotes `title` and `message` without the key.
 */
export function cartesiaErrorOf(
  message: CartesiaErrorMessage,
  secret: string,
  partial: boolean,
): VoiceError {
  const status = message.status_code;
  const text = [message.title, message.message ?? message.error]
    .filter((part) => part !== undefined && part.trim() !== '')
    .join(': ');
  const said = scrubProviderText(text, secret);
  const label = [status, message.error_code].filter((p) => p !== undefined && p !== null);
  const mapped =
    status === undefined
      ? undefined
      : httpStatusError({
          provider: PROVIDER,
          status,
          header: () => undefined,
          body: '',
          secret,
          now: 0,
        });
  return providerError(mapped?.code ?? 'PROVIDER_ERROR', {
    provider: PROVIDER,
    message: `cartesia reported an error${label.length > 0 ? ` (${label.join(' ')})` : ''}${said === '' ? '' : `: ${said}`}`,
    fallback: true,
    retryable: mapped?.retryable ?? false,
    details: {
      ...(status === undefined ? {} : { status }),
      ...(typeof message.error_code === 'string' ? { error_code: message.error_code } : {}),
      partial,
    },
  });
}
