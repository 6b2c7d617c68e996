/**
 * Bearer JWT verification with `jose` against `auth.jwt`: keys from PEM, a JWKS
 * URL or an HS256 secret; the algorithm pinned; `iss`, `aud`, `exp` (required)
 * and `nbf` checked against the injected clock with the configured tolerance.
 */
import { createRemoteJWKSet, customFetch, errors, importSPKI, jwtVerify } from 'jose';
import type { CryptoKey, FetchImplementation, JWTPayload, JWTVerifyGetKey, KeyObject } from 'jose';
import type { Clock, JwtConfig } from '@prx-voice/core';
import { VoiceError } from '@prx-voice/types';

/** Longest token accepted before any parsing. */
export const MAX_TOKEN_LENGTH = 8_192;

/** Verifies a compact JWT and returns its claims. */
export interface JwtVerifier {
  /** The payload of a valid token; `TOKEN_EXPIRED` or `UNAUTHENTICATED` otherwise. */
  verify(token: string): Promise<JWTPayload>;
}

/** Options of {@link createJwtVerifier}. */
export interface JwtVerifierOptions {
  readonly clock: Clock;
  /** Fetch used for `jwks_url` (default the global fetch). */
  readonly fetch?: FetchImplementation;
  /** Key resolver replacing the configured keys (tests, custom key stores). */
  readonly getKey?: JWTVerifyGetKey;
}

type Key = CryptoKey | KeyObject | Uint8Array;
type KeySource =
  { kind: 'static'; keys: () => Promise<Key[]> } | { kind: 'dynamic'; getKey: JWTVerifyGetKey };

function unauthenticated(reason: string, message = 'The token is invalid.'): VoiceError {
  return new VoiceError('UNAUTHENTICATED', { message, details: { reason } });
}

/** Maps a jose failure to the API's error. */
export function jwtError(err: unknown): VoiceError {
  if (err instanceof errors.JWTExpired)
    return new VoiceError('TOKEN_EXPIRED', { details: { reason: 'expired' } });
  if (err instanceof errors.JWTClaimValidationFailed) {
    return unauthenticated(
      `claim_${err.claim}`,
      `The token's "${err.claim}" claim is not acceptable.`,
    );
  }
  if (err instanceof errors.JOSEAlgNotAllowed)
    return unauthenticated('algorithm', 'The token is not signed with the accepted algorithm.');
  if (err instanceof errors.JWSSignatureVerificationFailed) return unauthenticated('signature');
  if (err instanceof errors.JWKSNoMatchingKey)
    return unauthenticated('unknown_key', 'The token was signed with an unknown key.');
  if (err instanceof errors.JWKSTimeout)
    return new VoiceError('TIMEOUT', {
      message: 'The JWKS endpoint did not answer in time.',
      cause: err,
    });
  if (err instanceof errors.JOSEError) return unauthenticated('malformed');
  return VoiceError.from(err);
}

function keySource(config: JwtConfig, opts: JwtVerifierOptions): KeySource {
  if (opts.getKey !== undefined) return { kind: 'dynamic', getKey: opts.getKey };
  if (config.algorithm === 'HS256') {
    const secret = new TextEncoder().encode(config.hs256_secret ?? '');
    return { kind: 'static', keys: () => Promise.resolve([secret]) };
  }
  if (config.jwks_url !== undefined) {
    const jwks = createRemoteJWKSet(new URL(config.jwks_url), {
      ...(opts.fetch === undefined ? {} : { [customFetch]: opts.fetch }),
    });
    return { kind: 'dynamic', getKey: jwks };
  }
  let imported: Promise<Key[]> | undefined;
  const pems = config.public_keys ?? [];
  return {
    kind: 'static',
    keys: () => (imported ??= Promise.all(pems.map((pem) => importSPKI(pem, config.algorithm)))),
  };
}

/**
 * Creates the verifier of `auth.jwt`. With several public keys, any one may
 * have signed the token (key rotation).
 *
 * @example
 * const verifier = createJwtVerifier(config.auth.jwt, { clock });
 * const claims = await verifier.verify(token);
 */
export function createJwtVerifier(config: JwtConfig, opts: JwtVerifierOptions): JwtVerifier {
  const source = keySource(config, opts);
  const options = () => ({
    algorithms: [config.algorithm],
    issuer: config.issuer,
    audience: config.audience,
    clockTolerance: config.clock_tolerance_s,
    currentDate: new Date(opts.clock.now()),
    requiredClaims: ['exp'],
  });
  return {
    async verify(token) {
      if (token.length > MAX_TOKEN_LENGTH)
        throw unauthenticated('too_long', 'The token is too long.');
      try {
        if (source.kind === 'dynamic')
          return (await jwtVerify(token, source.getKey, options())).payload;
        const keys = await source.keys();
        let last: unknown = new errors.JWSSignatureVerificationFailed();
        for (const key of keys) {
          try {
            return (await jwtVerify(token, key, options())).payload;
          } catch (err) {
            // Another configured key may have signed it; any other failure is final.
            if (!(err instanceof errors.JWSSignatureVerificationFailed)) throw err;
            last = err;
          }
        }
        throw last;
      } catch (err) {
        throw jwtError(err);
      }
    },
  };
}
