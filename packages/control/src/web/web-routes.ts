/**
 * The browser pages the server serves itself: the playground at `/` and
 * `/playground`, the operators' console at `/console`, and their scripts and
 * styles under `/assets/`. They are plain files from the workspace build (no CDN,
 * nothing fetched from elsewhere), sent with a strict Content-Security-Policy;
 * the pages call the API with the credential the user types in, like any client.
 */
import { z } from 'zod';
import { VoiceError } from '@prx-voice/types';
import type { ControlContext } from '../http/context.js';
import type { RouteModule } from '../http/route-module.js';
import { ASSET_NAME, loadWebAssets } from './web-assets.js';
import type { WebAsset } from './web-assets.js';

/**
 * Scripts, styles and workers from this origin only; no inline code, no eval, no
 * frames; API calls and the session WebSocket to this origin only; recordings
 * played and downloaded from `blob:` URLs the page makes itself.
 */
export const WEB_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers of every page and asset. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': WEB_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'microphone=(self), camera=(), geolocation=()',
  // Revalidated each time (an ETag makes that cheap): a rebuilt page is never stale.
  'Cache-Control': 'no-cache',
};

/** What the pages are served from. */
export interface WebRouteDeps {
  /** The directory the pages were built to (`apps/playground`'s `dist/web`). */
  readonly assetsDir: string;
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>PRX Voice</title>
<h1>The browser pages are not built</h1>
<p>Run <code>pnpm build</code> at the repository root, then restart the server.</p>`;

function send(c: ControlContext, asset: WebAsset): Response {
  if (c.req.header('if-none-match') === asset.etag) {
    return c.body(null, 304, { ...SECURITY_HEADERS, ETag: asset.etag });
  }
  return c.body(asset.body as Uint8Array<ArrayBuffer>, 200, {
    ...SECURITY_HEADERS,
    'Content-Type': asset.contentType,
    ETag: asset.etag,
  });
}

const assetParams = z.object({
  file: z.string().regex(ASSET_NAME, { error: 'expected a file name such as playground.js' }),
});

/** The pages' routes (unauthenticated: the pages hold no data; the API calls they make are checked). */
export function webRoutes(deps: WebRouteDeps): RouteModule {
  const assets = loadWebAssets(deps.assetsDir);
  const page = (file: string) => (c: ControlContext) => {
    const asset = assets?.get(file);
    if (asset === undefined) {
      return c.body(NOT_BUILT, 503, {
        ...SECURITY_HEADERS,
        'Content-Type': 'text/html; charset=utf-8',
      });
    }
    return send(c, asset);
  };
  return {
    name: 'web',
    mount({ route }) {
      const html = 'text/html; charset=utf-8';
      const common = { at: 'root', auth: 'none', tags: ['web'], contentType: html } as const;
      route({
        ...common,
        method: 'get',
        path: '/',
        summary: 'The playground.',
        handler: page('index.html'),
      });
      route({
        ...common,
        method: 'get',
        path: '/playground',
        summary: 'The playground: sign in with an API key, talk to an assistant, see each turn.',
        handler: page('index.html'),
      });
      route({
        ...common,
        method: 'get',
        path: '/console',
        summary: "The operators' console: live sessions, timelines, latencies, health, usage.",
        handler: page('console.html'),
      });
      route({
        at: 'root',
        auth: 'none',
        tags: ['web'],
        method: 'get',
        path: '/assets/{file}',
        summary: 'A script, style sheet or image of the pages.',
        contentType: 'text/javascript',
        params: assetParams,
        errors: ['NOT_FOUND'],
        handler: (c, { params }) => {
          const asset = assets?.get(params.file);
          if (asset === undefined) {
            throw new VoiceError('NOT_FOUND', { message: `No asset named ${params.file}.` });
          }
          return send(c, asset);
        },
      });
    },
  };
}
