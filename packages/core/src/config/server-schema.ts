/** The `server` section: where the HTTP/WebSocket listener binds and how it behaves. */
import { z } from 'zod';
import { flag, integerIn, nonEmptyString, urlString } from './schema-helpers.js';

const TLS_PAIR = 'server.tls needs both cert_file and key_file';

function tlsFile(): z.ZodString {
  return z
    .string({
      error: (issue) =>
        issue.input === undefined ? `expected a file path (${TLS_PAIR})` : 'expected a file path',
    })
    .min(1, { error: 'expected a file path' });
}

/** Whether a CORS origin is `*` or exactly `scheme://host[:port]`. */
function isOrigin(value: string): boolean {
  if (value === '*') return true;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
}

/** `server.tls`: a certificate and its key, both or neither (omit the block for plain HTTP). */
export const tlsSchema = z.strictObject({
  /** PEM certificate chain; relative paths resolve against the working directory. */
  cert_file: tlsFile(),
  /** PEM private key of the certificate. */
  key_file: tlsFile(),
});

/** `server.cors`: which browser origins may call the API. */
export const corsSchema = z
  .strictObject({
    origins: z
      .array(
        z.string().refine(isOrigin, {
          error:
            'expected "*" or an origin such as https://app.example.com (no path, no trailing slash)',
        }),
        { error: 'expected a list of origins' },
      )
      .default([]),
    allow_credentials: flag().default(false),
  })
  .superRefine((cors, ctx) => {
    if (cors.allow_credentials && cors.origins.includes('*')) {
      ctx.addIssue({
        code: 'custom',
        path: ['origins'],
        message: 'expected explicit origins: browsers refuse "*" when allow_credentials is true',
      });
    }
  });

/** One STUN or TURN server the WebRTC peers gather candidates from. */
export const iceServerSchema = z
  .strictObject({
    urls: z.string().regex(/^(stun|stuns|turn|turns):[^\s]+$/, {
      error: 'expected a stun:, stuns:, turn: or turns: URL such as stun:stun.example.com:3478',
    }),
    username: z.string().min(1).optional(),
    credential: z.string().min(1).optional(),
  })
  .superRefine((server, ctx) => {
    if (
      /^turns?:/.test(server.urls) &&
      (server.username === undefined || server.credential === undefined)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['credential'],
        message: 'a TURN server needs username and credential',
      });
    }
  });

/** `server.webrtc`: how the WebRTC endpoint's peers find a path to the caller. */
export const webrtcSchema = z.strictObject({
  ice_servers: z.array(iceServerSchema, { error: 'expected a list of ICE servers' }).default([]),
});

/** The `server` section. */
export const serverSchema = z.strictObject({
  host: nonEmptyString('a host name or IP address').default('0.0.0.0'),
  port: integerIn(0, 65_535).default(8080),
  public_url: urlString(['http', 'https'], 'https://voice.example.com').optional(),
  tls: tlsSchema.optional(),
  cors: corsSchema.prefault({}),
  webrtc: webrtcSchema.prefault({}),
  shutdown_timeout_ms: integerIn(0, 600_000).default(30_000),
  request_timeout_ms: integerIn(1_000, 600_000).default(30_000),
  /**
   * Processes serving sessions on this host: 1 (default) is this process alone; more (or 0,
   * one per core) runs a supervisor that owns the port and that many workers, each an
   * instance of its own. More than one needs PostgreSQL and Redis (what instances share) and
   * no `tls` (a connection is handed to the worker holding its session).
   */
  workers: integerIn(0, 64).default(1),
});

/** The validated `server` section. */
export type ServerConfig = z.output<typeof serverSchema>;
/** The validated `server.tls` block. */
export type TlsConfig = z.output<typeof tlsSchema>;
/** The validated `server.cors` block. */
export type CorsConfig = z.output<typeof corsSchema>;
