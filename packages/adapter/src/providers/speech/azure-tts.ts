/**
 * Azure AI Speech text-to-speech over its REST endpoint
 * (`POST /cognitiveservices/v1`): the text goes in as SSML, and raw PCM16 mono
 * (`raw-…-16bit-mono-pcm`, no RIFF header) streams back as it is synthesized.
 */
import { z } from 'zod';
import type { Clock } from '@prx-voice/core';
import type { SampleRate } from '@prx-voice/media';
import { providerError } from '../../interfaces.js';
import type { TtsProvider } from '../../interfaces.js';
import type { SpeechEnvironment } from './credentials.js';
import { createHttpPcmTts, offeredRateFor } from './http-pcm-tts.js';
import type { FetchFunction } from './http-pcm-tts.js';

const PROVIDER = 'azure';
const KEY_VARIABLE = 'AZURE_SPEECH_KEY';
const REGION_VARIABLE = 'AZURE_SPEECH_REGION';
const DEFAULT_VOICE = 'en-US-AvaMultilingualNeural';
/** The locale when neither the `language` option nor the voice name gives one. */
const FALLBACK_LANGUAGE = 'en-US';

/** An Azure region (`westeurope`, `eastus2`): it becomes part of the host name. */
const REGION = /^[a-z0-9]+(?:-[a-z0-9]+)*$/i;
/** A BCP-47 locale as Azure names them: `en-US`, `zh-HK`, `sr-Latn-RS`. */
const LOCALE = /^[a-z]{2,3}(?:-[a-z0-9]{2,8})+$/i;
/** `<prosody rate>`: a relative change (`+10%`, `-20%`), a multiplier (`1.2`) or a named speed. */
const PROSODY_RATE = /^(?:x-slow|slow|medium|fast|x-fast|default|[+-]?\d+(?:\.\d+)?%?)$/;
/** `<prosody pitch>`: relative (`+5%`, `-2st`, `+80Hz`), absolute (`600Hz`) or a named level. */
const PROSODY_PITCH = /^(?:x-low|low|medium|high|x-high|default|[+-]?\d+(?:\.\d+)?(?:Hz|st|%))$/;

/** The options of the Azure TTS (`tts.options`). */
const azureTtsOptionsSchema = z.object({
  /** Neural voice (default `en-US-AvaMultilingualNeural`); a request's `voice` overrides it. */
  voice: z.string().min(1).max(200).default(DEFAULT_VOICE),
  /** `xml:lang` of the SSML; default the locale the voice name starts with. */
  language: z.string().regex(LOCALE, 'expected a locale such as en-US').optional(),
  /** Speaking rate, as `<prosody rate>` takes it (`+10%`, `0.9`, `slow`). */
  rate: z
    .string()
    .regex(PROSODY_RATE, 'expected a relative change (+10%), a multiplier (1.2) or x-slow…x-fast')
    .optional(),
  /** Pitch, as `<prosody pitch>` takes it (`+5%`, `-2st`, `+80Hz`, `high`). */
  pitch: z
    .string()
    .regex(PROSODY_PITCH, 'expected +5%, -2st, +80Hz, 600Hz or x-low…x-high')
    .optional(),
  /** Speech resource region (e.g. `westeurope`); defaults to `AZURE_SPEECH_REGION`. */
  region: z.string().regex(REGION, 'expected an Azure region such as westeurope').optional(),
  /** Origin replacing `https://{region}.tts.speech.microsoft.com` (sovereign clouds, tests). */
  base_url: z.url({ protocol: /^https?$/ }).optional(),
  /** Resource key; defaults to `AZURE_SPEECH_KEY`. */
  api_key: z.string().min(1).optional(),
  /** Longest wait for the answer and between its audio chunks, ms (default 5000). */
  first_byte_timeout_ms: z.number().positive().max(120_000).default(5_000),
});

type AzureTtsOptions = z.output<typeof azureTtsOptionsSchema>;

/** The raw PCM rates requested directly; other rates are resampled from the next one up. */
const AZURE_RATES: readonly SampleRate[] = [8000, 16000, 24000, 48000];

/** What {@link createAzureTts} needs. */
export interface AzureTtsDeps {
  /** Times the first-byte and between-chunk timeouts. */
  readonly clock: Clock;
  /** Where `AZURE_SPEECH_KEY` and `AZURE_SPEECH_REGION` are read (default `process.env`). */
  readonly env?: SpeechEnvironment;
  /** The HTTP client (default the global `fetch`). */
  readonly fetch?: FetchFunction;
}

/** The Azure PCM rate to ask for when `rate` is requested. */
export function azureRateFor(rate: SampleRate): SampleRate {
  return offeredRateFor(rate, AZURE_RATES);
}

/** The `X-Microsoft-OutputFormat` of raw PCM16 mono at `rate` (8, 16, 24 or 48 kHz). */
export function azureOutputFormat(rate: SampleRate): string {
  return `raw-${rate / 1000}khz-16bit-mono-pcm`;
}

const XML_ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/**
 * Text made safe as XML character data or a quoted attribute value: markup
 * characters and quotes escaped, control characters XML does not allow
 * turned into spaces.
 */
export function escapeXml(text: string): string {
  let out = '';
  for (const ch of text) {
    const entity = XML_ENTITIES[ch];
    if (entity !== undefined) out += entity;
    else if (ch < ' ' && ch !== '\t' && ch !== '\n' && ch !== '\r') out += ' ';
    else out += ch;
  }
  return out;
}

/** The locale an Azure voice name starts with (`sr-Latn-RS-NicholasNeural` → `sr-Latn-RS`). */
export function localeOfVoice(voice: string): string | undefined {
  return /^([a-z]{2,3}(?:-[a-z0-9]{2,8})+)-[^-]+$/i.exec(voice)?.[1];
}

/** What one SSML document says. */
export interface AzureSsml {
  readonly text: string;
  readonly voice: string;
  readonly language: string;
  readonly rate?: string | undefined;
  readonly pitch?: string | undefined;
}

/** The SSML document of one synthesis, every value escaped. */
export function azureSsml(doc: AzureSsml): string {
  let content = escapeXml(doc.text);
  const prosody =
    (doc.rate === undefined ? '' : ` rate='${escapeXml(doc.rate)}'`) +
    (doc.pitch === undefined ? '' : ` pitch='${escapeXml(doc.pitch)}'`);
  if (prosody !== '') content = `<prosody${prosody}>${content}</prosody>`;
  return (
    `<speak version='1.0' xmlns='http://www.w3.org/2001/10/synthesis' xml:lang='${escapeXml(doc.language)}'>` +
    `<voice name='${escapeXml(doc.voice)}'>${content}</voice></speak>`
  );
}

/** `CONFIG_INVALID` about the region (another provider of the chain may be configured). */
function regionError(message: string): never {
  throw providerError('CONFIG_INVALID', {
    provider: PROVIDER,
    message,
    fallback: true,
    retryable: false,
  });
}

/**
 * The origin to post to: `base_url`, else the regional host of the `region`
 * option or `AZURE_SPEECH_REGION`. Neither set, or a value that is no region
 * name, throws `CONFIG_INVALID` naming both places (never quoting the value).
 */
function azureOrigin(options: AzureTtsOptions, env: SpeechEnvironment): string {
  if (options.base_url !== undefined) return options.base_url.replace(/\/+$/, '');
  const region = (options.region ?? env[REGION_VARIABLE])?.trim();
  if (region === undefined || region === '') {
    regionError(
      `No region for provider '${PROVIDER}': set its region option or ${REGION_VARIABLE} (or base_url).`,
    );
  }
  if (!REGION.test(region)) {
    regionError(
      `${REGION_VARIABLE} is not an Azure region name (letters, digits and hyphens, e.g. westeurope).`,
    );
  }
  return `https://${region.toLowerCase()}.tts.speech.microsoft.com`;
}

/**
 * Creates the `azure` TTS provider (Azure AI Speech neural voices). The
 * endpoint takes the whole text, so a text stream is collected first and sent
 * as one SSML document (voice, `xml:lang`, optional `<prosody>` rate and
 * pitch). Audio is asked for at the requested rate when Azure's raw PCM offers
 * it (8, 16, 24, 48 kHz), else at 24 or 48 kHz and resampled; it is yielded as
 * it arrives, then `usage` with the characters of the text. A missing key
 * throws `PROVIDER_AUTH_FAILED`, a missing region `CONFIG_INVALID`.
 *
 * @example
 * const tts = createAzureTts({ clock: systemClock });
 * const events = tts.synthesize({ text: 'Hi', sampleRate: 16000, signal, options: { region: 'westeurope' } });
 */
export function createAzureTts(deps: AzureTtsDeps): TtsProvider {
  return createHttpPcmTts(
    {
      provider: PROVIDER,
      schema: azureTtsOptionsSchema,
      keyVariable: KEY_VARIABLE,
      prepare: ({ request, options, apiKey, env }) => {
        const url = `${azureOrigin(options, env)}/cognitiveservices/v1`;
        const voice = request.voice ?? options.voice;
        const language = options.language ?? localeOfVoice(voice) ?? FALLBACK_LANGUAGE;
        const rate = azureRateFor(request.sampleRate);
        return (text) => ({
          url,
          headers: {
            'Ocp-Apim-Subscription-Key': apiKey,
            'Content-Type': 'application/ssml+xml',
            'X-Microsoft-OutputFormat': azureOutputFormat(rate),
            'User-Agent': 'prx-voice',
          },
          body: azureSsml({ text, voice, language, rate: options.rate, pitch: options.pitch }),
          rate,
        });
      },
    },
    deps,
  );
}
