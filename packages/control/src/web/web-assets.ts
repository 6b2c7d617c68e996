/**
 * The browser pages' files (the playground and the console), read once from the
 * directory the workspace build wrote them to, each with its content type and a
 * strong ETag. Only flat file names of known types are served: no path from a
 * request ever reaches the file system.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** One file of the pages. */
export interface WebAsset {
  readonly body: Uint8Array;
  readonly contentType: string;
  readonly etag: string;
}

/** Content types of the files served, by extension. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  map: 'application/json; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
};

/** A servable file name: lower-case letters, digits and hyphens, dots between, a known extension. */
export const ASSET_NAME = /^[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:html|js|css|map|svg|png|ico)$/;

/** The files of a built pages directory, by name; `undefined` when the directory is missing. */
export function loadWebAssets(dir: string): ReadonlyMap<string, WebAsset> | undefined {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  const assets = new Map<string, WebAsset>();
  for (const name of names) {
    if (!ASSET_NAME.test(name)) continue;
    const ext = name.slice(name.lastIndexOf('.') + 1);
    const contentType = CONTENT_TYPES[ext];
    if (contentType === undefined) continue;
    const body = readFileSync(join(dir, name));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    assets.set(name, { body, contentType, etag });
  }
  return assets;
}
