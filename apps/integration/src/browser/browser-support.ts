/**
 * Driving Debian's Chromium from tests with `playwright-core` (never a downloaded
 * browser): the playground's build, a WAV of speech for the fake microphone, a
 * browser whose microphone is that file, and pages that fail the test on any page
 * error or console error (apart from ones a step says it expects).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { chromium } from 'playwright-core';
import { WebSocket } from 'ws';
import type { Browser, Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`). */
export const CHROMIUM = '/usr/bin/chromium';

/** Whether the browser tests can run here. */
export const chromiumAvailable = existsSync(CHROMIUM);

const require = createRequire(import.meta.url);

/** Builds the pages (`apps/playground` → `dist/web`), as `pnpm build` would. */
export function buildPlayground(): void {
  const root = dirname(require.resolve('@prx-voice/playground/package.json'));
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
}

/** One phrase of a {@link speechWav}: what espeak-ng says, and the silence after it. */
export interface Phrase {
  readonly say: string;
  /** Seconds of silence after the phrase. */
  readonly thenS: number;
}

/**
 * espeak-ng saying each phrase in turn with its silence after it (0.3 s of silence
 * first), as one 16 kHz mono PCM16 WAV for the fake microphone.
 */
export function speechWav(dir: string, phrases: readonly Phrase[]): string {
  const parts = phrases.map((phrase, i) => {
    const raw = join(dir, `phrase-${String(i)}-raw.wav`);
    const part = join(dir, `phrase-${String(i)}.wav`);
    execFileSync('espeak-ng', ['-v', 'en-us', '-s', '150', '-w', raw, phrase.say]);
    const lead = i === 0 ? '0.3' : '0';
    execFileSync('sox', [
      raw,
      '-r',
      '16000',
      '-c',
      '1',
      '-b',
      '16',
      part,
      'pad',
      lead,
      String(phrase.thenS),
    ]);
    return part;
  });
  const out = join(dir, 'speech.wav');
  execFileSync('sox', [...parts, out]);
  return out;
}

/** Seconds of audio in `wav` (sox's own reading). */
export function wavSeconds(wav: string): number {
  return Number(execFileSync('soxi', ['-D', wav], { encoding: 'utf8' }).trim());
}

/** A headless Chromium whose microphone plays `wav` once (`null`: no fake devices, permission denied). */
export async function launchChromium(wav: string | null): Promise<Browser> {
  const args =
    wav === null
      ? ['--deny-permission-prompts']
      : [
          '--use-fake-ui-for-media-stream',
          '--use-fake-device-for-media-stream',
          `--use-file-for-fake-audio-capture=${wav}%noloop`,
        ];
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required', ...args],
  });
}

/** A page's errors: every page error and console error, less those expected at the time. */
export interface PageWatch {
  readonly errors: string[];
  /** Runs `step` with console errors matching `pattern` allowed (e.g. an expected 401). */
  expecting<T>(pattern: RegExp, step: () => Promise<T>): Promise<T>;
}

/** Watches `page` for page errors and console errors. */
export function watchPage(page: Page): PageWatch {
  const errors: string[] = [];
  const allowed: RegExp[] = [];
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    if (allowed.some((p) => p.test(text))) return;
    errors.push(`console error: ${text}`);
  });
  return {
    errors,
    async expecting(pattern, step) {
      allowed.push(pattern);
      try {
        return await step();
      } finally {
        allowed.splice(allowed.indexOf(pattern), 1);
      }
    },
  };
}

/** Saves a screenshot of `page` under `dir` (created), returning its path. */
export async function screenshot(page: Page, dir: string, name: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** A playback statistic the playground keeps as a `data-` attribute of `#playback-stats`. */
export async function stat(p: Page, name: string): Promise<number> {
  return Number((await p.getAttribute('#playback-stats', `data-${name}`)) ?? 'NaN');
}

/** Waits until the playback statistic `name` is over `min`. */
export async function statOver(p: Page, name: string, min: number): Promise<void> {
  type Doc = { querySelector(s: string): { getAttribute(n: string): string | null } | null };
  await p.waitForFunction(
    ([attr, over]) => {
      const doc = (globalThis as unknown as { document: Doc }).document;
      return Number(doc.querySelector('#playback-stats')?.getAttribute(attr) ?? NaN) > over;
    },
    [`data-${name}`, min] as const,
  );
}

/**
 * A new tenant `slug` (made with the platform admin's `key`) with a session of its
 * own, attached over the WebSocket so it stays live until `close`.
 */
export async function tenantWithLiveSession(
  baseUrl: string,
  key: string,
  slug: string,
): Promise<{ id: string; sessionId: string; close(): void }> {
  const call = async <T>(path: string, token: string, body: unknown): Promise<T> => {
    const res = await fetch(`${baseUrl}/api/v1/${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const parsed = (await res.json()) as { data: T; error: unknown };
    if (!res.ok) throw new Error(`${path}: ${String(res.status)} ${JSON.stringify(parsed.error)}`);
    return parsed.data;
  };
  const tenant = await call<{ id: string }>('tenants', key, { slug, name: slug });
  const { key: tenantKey } = await call<{ key: string }>('api-keys', key, {
    name: `${slug} ops`,
    role: 'tenant_admin',
    tenant_id: tenant.id,
  });
  const session = await call<{ id: string; ws_url: string }>('sessions', tenantKey, {
    channel: 'websocket',
  });
  const socket = new WebSocket(`${session.ws_url}?token=${tenantKey}`);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return { id: tenant.id, sessionId: session.id, close: () => socket.close() };
}
