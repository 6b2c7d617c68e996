/**
 * Turns a presented credential into a {@link Principal}: `pk_…` tokens are API
 * keys checked by policy's `ApiKeyService`, anything else a JWT checked against
 * `auth.jwt`. The tenant comes only from the credential and must be an existing,
 * active tenant.
 */
import type { FetchImplementation, JWTPayload, JWTVerifyGetKey } from 'jose';
import type { AuthConfig, Clock } from '@prx-voice/core';
import { API_KEY_PREFIX, isRole } from '@prx-voice/policy';
import type { ApiKeyService, Principal } from '@prx-voice/policy';
import type { Repositories, TenantRow } from '@prx-voice/storage';
import { isId, parseId, VoiceError } from '@prx-voice/types';
import type { TenantId } from '@prx-voice/types';
import { createJwtVerifier } from './jwt.js';
import type { JwtVerifier } from './jwt.js';

/** What a request presented. */
export interface Credentials {
  /** The `Authorization` header. */
  readonly authorization?: string | null | undefined;
  /** The `token` query parameter. */
  readonly queryToken?: string | null | undefined;
}

/** A verified caller and its tenant. */
export interface Authenticated {
  readonly principal: Principal;
  readonly tenant: TenantRow;
}

/** Authenticates credentials. */
export interface Authenticator {
  /**
   * The caller of a request; `UNAUTHENTICATED` (or `TOKEN_EXPIRED`) when the
   * credential is missing or invalid, `FORBIDDEN` when its tenant is suspended.
   * `?token=` counts only with `allowQueryToken` and `auth.allow_query_token`.
   */
  authenticate(
    creds: Credentials,
    opts?: { readonly allowQueryToken?: boolean },
  ): Promise<Authenticated>;
}

/** Everything the authenticator needs. */
export interface AuthenticatorDeps {
  readonly auth: AuthConfig;
  readonly clock: Clock;
  readonly repos: Repositories;
  readonly apiKeys: ApiKeyService;
  /** Fetch for `auth.jwt.jwks_url` (default global fetch). */
  readonly fetch?: FetchImplementation;
  /** Replaces the configured JWT keys (tests, custom key stores). */
  readonly jwtKey?: JWTVerifyGetKey;
  /** Hears every refused credential (before the error is thrown); must not throw. */
  readonly onFailure?: (failure: AuthFailure) => void;
}

/**
 * A refused credential: why (the error's `details.reason`), and whose it is when that is
 * known for sure — a revoked or expired API key whose secret matched, a valid token of a
 * suspended tenant — never from what the caller merely claims.
 */
export interface AuthFailure {
  readonly reason: string;
  readonly tenantId?: TenantId;
  readonly kind?: 'api_key' | 'jwt';
  /** The API key id or the token's subject. */
  readonly subject?: string;
}

/** Who the credential belongs to, once known for sure. */
interface Owner {
  tenantId?: TenantId;
  kind?: 'api_key' | 'jwt';
  subject?: string;
}

function unauthenticated(reason: string, message: string): VoiceError {
  return new VoiceError('UNAUTHENTICATED', { message, details: { reason } });
}

const BEARER = /^Bearer[ ]+([\x21-\x7e]+)[ ]*$/i;

/** The bearer token of an `Authorization` header value; `UNAUTHENTICATED` for another scheme or shape. */
export function bearerToken(header: string): string {
  const m = BEARER.exec(header);
  if (m?.[1] === undefined) {
    throw unauthenticated('scheme', 'The Authorization header must be "Bearer <token>".');
  }
  return m[1];
}

function claimString(payload: JWTPayload, claim: string): string | undefined {
  const v = payload[claim];
  return typeof v === 'string' ? v : undefined;
}

/**
 * Creates the authenticator.
 *
 * @example
 * const auth = createAuthenticator({ auth: config.auth, clock, repos, apiKeys });
 * const { principal } = await auth.authenticate({ authorization: req.headers.authorization });
 */
export function createAuthenticator(deps: AuthenticatorDeps): Authenticator {
  const jwtConfig = deps.auth.jwt;
  const verifier: JwtVerifier | undefined =
    jwtConfig === undefined
      ? undefined
      : createJwtVerifier(jwtConfig, {
          clock: deps.clock,
          ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
          ...(deps.jwtKey === undefined ? {} : { getKey: deps.jwtKey }),
        });

  async function fromApiKey(token: string, owner: Owner): Promise<Principal> {
    const result = await deps.apiKeys.verify(token);
    if (result.kind === 'valid') return result.principal;
    if (result.tenantId !== undefined) {
      owner.tenantId = result.tenantId;
      owner.kind = 'api_key';
      if (result.keyId !== undefined) owner.subject = result.keyId;
    }
    if (result.reason === 'expired') {
      throw new VoiceError('TOKEN_EXPIRED', {
        message: 'The API key has expired.',
        details: { reason: 'expired' },
      });
    }
    const message =
      result.reason === 'revoked' ? 'The API key has been revoked.' : 'The API key is not valid.';
    throw unauthenticated(result.reason === 'revoked' ? 'revoked' : 'invalid_api_key', message);
  }

  async function fromJwt(token: string): Promise<Principal> {
    if (verifier === undefined || jwtConfig === undefined) {
      throw unauthenticated(
        'jwt_disabled',
        'JWTs are not accepted by this server; use an API key.',
      );
    }
    const payload = await verifier.verify(token);
    const tenant = claimString(payload, jwtConfig.tenant_claim);
    if (tenant === undefined || !isId('tenant', tenant)) {
      throw unauthenticated(
        'tenant_claim',
        `The token's "${jwtConfig.tenant_claim}" claim must be a tenant ID.`,
      );
    }
    const role = payload[jwtConfig.role_claim];
    if (!isRole(role)) {
      throw unauthenticated(
        'role_claim',
        `The token's "${jwtConfig.role_claim}" claim is not a known role.`,
      );
    }
    return {
      tenantId: parseId('tenant', tenant),
      role,
      subject: payload.sub ?? `jwt:${tenant}`,
      kind: 'jwt',
    };
  }

  async function tenantOf(principal: Principal): Promise<TenantRow> {
    const tenant = await deps.repos.tenants.get(principal.tenantId);
    if (tenant === undefined)
      throw unauthenticated('unknown_tenant', 'The credential names an unknown tenant.');
    if (tenant.status !== 'active') {
      throw new VoiceError('FORBIDDEN', {
        message: `The tenant is ${tenant.status}.`,
        details: { reason: 'tenant_suspended' },
      });
    }
    return tenant;
  }

  return {
    async authenticate(creds, opts = {}) {
      const owner: Owner = {};
      try {
        return await authenticate(creds, opts, owner);
      } catch (err) {
        if (deps.onFailure !== undefined) {
          const reason = VoiceError.is(err) ? err.details['reason'] : undefined;
          deps.onFailure({ reason: typeof reason === 'string' ? reason : 'invalid', ...owner });
        }
        throw err;
      }
    },
  };

  async function authenticate(
    creds: Credentials,
    opts: { readonly allowQueryToken?: boolean },
    owner: Owner,
  ): Promise<Authenticated> {
    {
      let token: string;
      if (creds.authorization != null && creds.authorization !== '') {
        token = bearerToken(creds.authorization);
      } else if (creds.queryToken != null && creds.queryToken !== '') {
        if (opts.allowQueryToken !== true || !deps.auth.allow_query_token) {
          throw unauthenticated(
            'query_token',
            'A ?token= is not accepted here; send an Authorization header.',
          );
        }
        token = creds.queryToken;
      } else {
        throw unauthenticated('missing', 'Send "Authorization: Bearer <token>".');
      }
      const principal = token.startsWith(API_KEY_PREFIX)
        ? await fromApiKey(token, owner)
        : await fromJwt(token);
      // Known for sure from here: a refusal now (a suspended tenant) is this principal's.
      owner.tenantId = principal.tenantId;
      owner.kind = principal.kind === 'jwt' ? 'jwt' : 'api_key';
      owner.subject = principal.subject;
      return { principal, tenant: await tenantOf(principal) };
    }
  }
}
