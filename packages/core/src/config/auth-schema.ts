/** The `auth` section: the bootstrap API key and JWT verification. */
import { z } from 'zod';
import { checkPublicKey, JWT_ALGORITHMS } from './jwt-keys.js';
import { flag, integerIn, isUrlWith, nonEmptyString } from './schema-helpers.js';

/** Shortest bootstrap key accepted; the production profile asks for {@link PRODUCTION_MIN_BOOTSTRAP_KEY_LENGTH}. */
export const MIN_BOOTSTRAP_KEY_LENGTH = 32;
/** Shortest bootstrap key the production profile accepts. */
export const PRODUCTION_MIN_BOOTSTRAP_KEY_LENGTH = 40;
/** Shortest HS256 secret accepted (256 bits of ASCII). */
const MIN_HS256_SECRET_LENGTH = 32;

const BOOTSTRAP_KEY_ERROR = `expected an API key starting with "pk_", at least ${MIN_BOOTSTRAP_KEY_LENGTH} characters long (${PRODUCTION_MIN_BOOTSTRAP_KEY_LENGTH} in the production profile), without whitespace`;

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** A JWKS URL must be https, except on loopback (local identity providers in development). */
function isJwksUrl(value: string): boolean {
  if (isUrlWith(value, ['https'])) return true;
  return isUrlWith(value, ['http']) && LOOPBACK.has(new URL(value).hostname);
}

/** `auth.jwt`: how bearer JWTs are verified. Omit the block to accept API keys only. */
export const jwtSchema = z
  .strictObject({
    issuer: nonEmptyString('the token issuer ("iss")'),
    audience: nonEmptyString('the token audience ("aud")'),
    algorithm: z.enum(JWT_ALGORITHMS, { error: `expected one of ${JWT_ALGORITHMS.join(', ')}` }),
    /** PEM public keys (asymmetric algorithms); any one may verify a token. */
    public_keys: z
      .array(z.string({ error: 'expected a PEM public key' }), {
        error: 'expected a list of PEM public keys',
      })
      .min(1, { error: 'expected at least one PEM public key' })
      .optional(),
    jwks_url: z
      .string({ error: 'expected an https URL of a JWKS document' })
      .refine(isJwksUrl, {
        error: 'expected an https URL of a JWKS document (http only on localhost)',
      })
      .optional(),
    /** Shared secret, HS256 only. */
    hs256_secret: z
      .string({ error: 'expected a string' })
      .min(MIN_HS256_SECRET_LENGTH, {
        error: `expected a secret of at least ${MIN_HS256_SECRET_LENGTH} characters`,
      })
      .optional(),
    tenant_claim: nonEmptyString('a claim name').default('tenant_id'),
    role_claim: nonEmptyString('a claim name').default('role'),
    clock_tolerance_s: integerIn(0, 300).default(5),
  })
  .superRefine((jwt, ctx) => {
    const add = (path: string, message: string): void => {
      ctx.addIssue({ code: 'custom', path: [path], message });
    };
    if (jwt.algorithm === 'HS256') {
      if (jwt.hs256_secret === undefined)
        add('hs256_secret', 'expected a secret: algorithm HS256 requires auth.jwt.hs256_secret');
      if (jwt.public_keys !== undefined)
        add(
          'public_keys',
          'expected no public keys with algorithm HS256 (it uses auth.jwt.hs256_secret)',
        );
      if (jwt.jwks_url !== undefined)
        add(
          'jwks_url',
          'expected no JWKS URL with algorithm HS256 (it uses auth.jwt.hs256_secret)',
        );
      return;
    }
    if (jwt.hs256_secret !== undefined) {
      add(
        'hs256_secret',
        `expected no hs256_secret with algorithm ${jwt.algorithm} (it uses public_keys or jwks_url)`,
      );
    }
    if (jwt.public_keys === undefined && jwt.jwks_url === undefined) {
      add(
        'public_keys',
        `expected public_keys or jwks_url: algorithm ${jwt.algorithm} needs a way to verify signatures`,
      );
    }
    if (jwt.public_keys !== undefined && jwt.jwks_url !== undefined) {
      add('jwks_url', 'expected either public_keys or jwks_url, not both');
    }
    jwt.public_keys?.forEach((pem, index) => {
      const problem = checkPublicKey(pem, jwt.algorithm);
      if (problem !== undefined)
        ctx.addIssue({ code: 'custom', path: ['public_keys', index], message: problem });
    });
  });

/** The `auth` section. */
export const authSchema = z.strictObject({
  /** Ensures tenant `default` with this `platform_admin` key at start-up. */
  bootstrap_api_key: z
    .string({ error: BOOTSTRAP_KEY_ERROR })
    .refine((key) => key.length >= MIN_BOOTSTRAP_KEY_LENGTH && /^pk_\S+$/.test(key), {
      error: BOOTSTRAP_KEY_ERROR,
    })
    .optional(),
  jwt: jwtSchema.optional(),
  /** Whether `?token=` is accepted where headers cannot be set (browser WebSockets). */
  allow_query_token: flag().default(true),
});

/** The validated `auth` section. */
export type AuthConfig = z.output<typeof authSchema>;
/** The validated `auth.jwt` block. */
export type JwtConfig = z.output<typeof jwtSchema>;
