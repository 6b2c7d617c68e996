/**
 * The API as the pages call it: same origin, the credential in the `Authorization`
 * header (never in a URL), the protocol's JSON envelope unwrapped, and every
 * failure turned into an {@link ApiError} with a sentence a person can act on.
 */

/** The base path of the API. */
export const API_BASE = '/api/v1';

/** A failed API call: the envelope's error code (or `NETWORK`) and a plain message. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface Envelope<T> {
  readonly data: T | null;
  readonly error: { readonly code: string; readonly message: string } | null;
}

/** What a person should read for an API error code. */
export function explain(err: unknown): string {
  if (!(err instanceof ApiError)) return err instanceof Error ? err.message : String(err);
  switch (err.code) {
    case 'UNAUTHENTICATED':
    case 'TOKEN_EXPIRED':
      return 'The server refused this API key. Check it and sign in again.';
    case 'FORBIDDEN':
      return `This key's role may not do that (${err.message})`;
    case 'NETWORK':
      return 'The server cannot be reached. Is it running?';
    case 'RATE_LIMITED':
    case 'QUOTA_EXCEEDED':
      return `Limited by the server: ${err.message}`;
    default:
      return `${err.message} (${err.code})`;
  }
}

/** A client of the API with one credential. */
export interface Api {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  /** A raw response (for downloads and text), after the same error handling. */
  raw(path: string, init?: RequestInit): Promise<Response>;
}

/** Creates a client that sends `token` as a bearer credential. */
export function createApi(token: string): Api {
  const raw = async (path: string, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    headers.set('Authorization', `Bearer ${token}`);
    let res: Response;
    try {
      res = await fetch(path.startsWith('/') ? path : `${API_BASE}/${path}`, {
        ...init,
        headers,
        cache: 'no-store',
      });
    } catch {
      throw new ApiError('NETWORK', 'The server cannot be reached.', 0);
    }
    if (res.ok) return res;
    let code = `HTTP_${String(res.status)}`;
    let message = res.statusText || 'request failed';
    try {
      const body = (await res.json()) as Envelope<unknown>;
      if (body.error !== null) ({ code, message } = body.error);
    } catch {
      // Not an envelope: keep the status.
    }
    throw new ApiError(code, message, res.status);
  };
  const json = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const res = await raw(path, init);
    const body = (await res.json()) as Envelope<T>;
    if (body.data === null) throw new ApiError('EMPTY', 'The server sent no data.', res.status);
    return body.data;
  };
  return {
    get: (path) => json(path),
    post: (path, body) =>
      json(path, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body ?? {}),
      }),
    raw,
  };
}
