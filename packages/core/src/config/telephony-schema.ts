/**
 * The `telephony` section: the phone carriers the server answers, one key per carrier
 * (`telephony.twilio`, `telephony.telnyx`, `telephony.exotel`, …). Twilio's settings under
 * `adapters.providers.twilio` are still read, with a deprecation warning.
 */
import { createPrivateKey } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';
import { integerIn, nonEmptyString } from './schema-helpers.js';

/** Whether `text` is a raw 32-byte Ed25519 public key as base64 (as Telnyx's portal shows it). */
export function isEd25519PublicKey(text: string): boolean {
  const trimmed = text.trim();
  return /^[A-Za-z0-9+/]{43}=?$/.test(trimmed) && Buffer.from(trimmed, 'base64').length === 32;
}

/** The codecs a Telnyx stream may use (both ways, 8 kHz). */
export const TELNYX_CONFIG_CODECS = ['PCMU', 'PCMA'] as const;

/** `telephony.telnyx`: inbound calls through a Telnyx TeXML application. */
export const telnyxConfigSchema = z.strictObject({
  /** Slug of the tenant Telnyx calls belong to when the called number is bound nowhere. */
  tenant: nonEmptyString('a tenant slug'),
  /** The account's public key (Mission Control → Keys & Credentials), checks webhook signatures. */
  public_key: z.string().refine(isEd25519PublicKey, {
    error: 'expected a base64 Ed25519 public key of 32 bytes (Telnyx portal → Public Key)',
  }),
  /** The account's API key (V2): signs the per-call stream tokens. */
  api_key: nonEmptyString('a Telnyx API key'),
  /** The stream's codec both ways. */
  codec: z.enum(TELNYX_CONFIG_CODECS, { error: 'expected PCMU or PCMA' }).default('PCMU'),
  /** How far a webhook's `telnyx-timestamp` may be from now, in seconds. */
  signature_tolerance_s: integerIn(1, 3_600).default(300),
  /** The Call Control application outbound calls are placed from (`POST /calls`). */
  connection_id: nonEmptyString('a Telnyx connection id').optional(),
  /** Telnyx's REST API (outbound calls, hang-up). */
  api_base_url: z.url({ protocol: /^https?$/ }).default('https://api.telnyx.com'),
});

/** Whether `text` is an IPv4/IPv6 address or CIDR range. */
function isIpOrRange(text: string): boolean {
  const [address = '', bits] = text.split('/');
  const family = isIP(address);
  if (family === 0) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d{1,3}$/.test(bits) && n <= (family === 6 ? 128 : 32);
}

/** `telephony.exotel`: calls through Exotel's Voicebot (bidirectional stream) applet. */
export const exotelConfigSchema = z.strictObject({
  /** Slug of the tenant Exotel calls belong to when the called number is bound nowhere. */
  tenant: nonEmptyString('a tenant slug'),
  /** The API key: the user of the Basic credentials in the applet URL. */
  api_key: nonEmptyString('an Exotel API key'),
  /** The API token: their password; also signs the per-call stream tokens. */
  api_token: nonEmptyString('an Exotel API token'),
  /** Exotel's source addresses or CIDR ranges, accepted without Basic credentials. */
  allowed_ips: z
    .array(z.string().refine(isIpOrRange, { error: 'expected an IP address or CIDR range' }))
    .default([]),
  /** The stream's rate (`?sample-rate=` of the stream URL): 8000 (PSTN) or 16000. */
  sample_rate: z
    .number()
    .refine((rate) => rate === 8000 || rate === 16000, { error: 'expected 8000 or 16000' })
    .default(8000),
  /** The account SID: outbound calls (`POST /calls`) are placed from it when set. */
  account_sid: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'expected an Exotel account SID' })
    .optional(),
  /** Exotel's REST API: `https://api.exotel.com` (Singapore) or `https://api.in.exotel.com` (Mumbai). */
  api_base_url: z.url({ protocol: /^https?$/ }).default('https://api.exotel.com'),
});

/** `telephony.twilio`: calls through Twilio (formerly `adapters.providers.twilio`, still read, deprecated). */
export const twilioConfigSchema = z.strictObject({
  /** Slug of the tenant Twilio calls belong to when the called number is bound nowhere. */
  tenant: nonEmptyString('a tenant slug'),
  /** The account's auth token (else `TWILIO_AUTH_TOKEN`): webhook signatures, stream tokens, REST. */
  auth_token: nonEmptyString('a Twilio auth token').optional(),
  /** The account SID for REST calls (transfers, outbound calls). */
  account_sid: z
    .string()
    .regex(/^AC[0-9a-fA-F]{32}$/, { error: 'expected an account SID (AC + 32 hex digits)' })
    .optional(),
  /** Twilio's REST API. */
  api_base_url: z.url({ protocol: /^https?$/ }).default('https://api.twilio.com'),
  /** How long a REST call may take. */
  request_timeout_ms: integerIn(100, 60_000).default(10_000),
  /** Seconds a transfer or an outbound call rings before giving up (absent: Twilio's 30). */
  dial_timeout_s: integerIn(5, 600).optional(),
  /** The caller ID a transfer shows (E.164). */
  caller_id: z
    .string()
    .regex(/^\+[1-9]\d{1,14}$/, { error: 'expected an E.164 number such as +14155550100' })
    .optional(),
});

/** The content types a Plivo stream may use (both ways). */
export const PLIVO_CONFIG_CONTENT_TYPES = [
  'audio/x-mulaw;rate=8000',
  'audio/x-l16;rate=8000',
  'audio/x-l16;rate=16000',
] as const;

/** `telephony.plivo`: inbound calls through a Plivo application's answer URL. */
export const plivoConfigSchema = z.strictObject({
  /** Slug of the tenant Plivo calls belong to when the called number is bound nowhere. */
  tenant: nonEmptyString('a tenant slug'),
  /** The account's Auth ID: with it, Plivo places outbound calls (`POST /calls`) over REST. */
  auth_id: z
    .string()
    .regex(/^(MA|SA)[A-Z0-9]{18}$/, {
      error: 'expected a Plivo Auth ID (MA or SA + 18 characters)',
    })
    .optional(),
  /** The account's Auth Token: checks V3 webhook signatures and signs the stream tokens. */
  auth_token: nonEmptyString('a Plivo Auth Token'),
  /** The stream's audio format both ways. */
  content_type: z
    .enum(PLIVO_CONFIG_CONTENT_TYPES, {
      error: 'expected audio/x-mulaw;rate=8000, audio/x-l16;rate=8000 or audio/x-l16;rate=16000',
    })
    .default('audio/x-mulaw;rate=8000'),
  /** Plivo's REST API (outbound calls, hang-up). */
  api_base_url: z.url({ protocol: /^https?$/ }).default('https://api.plivo.com'),
});

/** Whether `text` is an RSA private key in PEM (a Vonage application's key). */
export function isRsaPrivateKeyPem(text: string): boolean {
  try {
    return createPrivateKey(text).asymmetricKeyType === 'rsa';
  } catch {
    return false;
  }
}

/** The content types a Vonage WebSocket may use (both ways). */
export const VONAGE_CONFIG_CONTENT_TYPES = ['audio/l16;rate=16000', 'audio/l16;rate=8000'] as const;

/** `telephony.vonage`: inbound calls through a Vonage Voice application's answer URL. */
export const vonageConfigSchema = z
  .strictObject({
    /** Slug of the tenant Vonage calls belong to when the called number is bound nowhere. */
    tenant: nonEmptyString('a tenant slug'),
    /** The account's signature secret: checks signed webhooks (HS256) and signs the stream tokens. */
    signature_secret: nonEmptyString('a Vonage signature secret'),
    /** When set, a webhook's `application_id` claim must name this application. */
    application_id: nonEmptyString('a Vonage application id').optional(),
    /** The WebSocket's audio format both ways. */
    content_type: z
      .enum(VONAGE_CONFIG_CONTENT_TYPES, {
        error: 'expected audio/l16;rate=16000 or audio/l16;rate=8000',
      })
      .default('audio/l16;rate=16000'),
    /** How far a webhook token's `iat` may be from now, in seconds. */
    signature_tolerance_s: integerIn(1, 3_600).default(300),
    /** The application's private key (PEM): with `application_id`, Vonage places outbound calls. */
    private_key: z
      .string()
      .refine(isRsaPrivateKeyPem, { error: "expected the application's RSA private key in PEM" })
      .optional(),
    /** Vonage's Voice API (outbound calls, hang-up). */
    api_base_url: z.url({ protocol: /^https?$/ }).default('https://api.nexmo.com'),
  })
  .superRefine((vonage, ctx) => {
    if (vonage.private_key !== undefined && vonage.application_id === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['application_id'],
        message: 'the private_key signs REST calls as an application: set its application_id',
      });
    }
  });

/** The `telephony` section. */
export const telephonySchema = z.strictObject({
  twilio: twilioConfigSchema.optional(),
  telnyx: telnyxConfigSchema.optional(),
  plivo: plivoConfigSchema.optional(),
  vonage: vonageConfigSchema.optional(),
  exotel: exotelConfigSchema.optional(),
});

/** The validated `telephony` section. */
export type TelephonyConfig = z.output<typeof telephonySchema>;
/** The validated `telephony.twilio`. */
export type TwilioConfig = z.output<typeof twilioConfigSchema>;
/** The validated `telephony.exotel`. */
export type ExotelConfig = z.output<typeof exotelConfigSchema>;
/** The validated `telephony.telnyx`. */
export type TelnyxConfig = z.output<typeof telnyxConfigSchema>;
/** The validated `telephony.plivo`. */
export type PlivoConfig = z.output<typeof plivoConfigSchema>;
/** The validated `telephony.vonage`. */
export type VonageConfig = z.output<typeof vonageConfigSchema>;
