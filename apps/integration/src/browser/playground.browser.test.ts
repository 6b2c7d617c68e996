/**
 * The playground in a real browser (Debian's Chromium through playwright-core)
 * against a real server on a real port with the mock providers: sign in (a wrong
 * key first), pick an assistant, talk through the fake microphone (a WAV of
 * espeak-ng speech, then speech again while the reply plays), see the transcript
 * and the reply played by the playback worklet, barge in by speaking and by the
 * button and see the reply stop within 100 ms of the interruption event; the
 * console with provider health, a platform admin's tenant picker, the session's
 * timeline and its recording played in the page; a session ended by the operator,
 * no microphone permission, and the server going away mid-session. Any page error
 * or unexpected console error fails it; a failing test leaves a screenshot under
 * `.reports/browser/`. With `UPDATE_DOCS_SCREENSHOTS=1` it also retakes
 * `docs/playground.png` and `docs/console.png`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startServer } from '@prx-voice/server';
import type { RunningServer } from '@prx-voice/server';
import {
  buildPlayground,
  chromiumAvailable,
  launchChromium,
  screenshot,
  speechWav,
  stat,
  statOver,
  tenantWithLiveSession,
  watchPage,
} from './browser-support.ts';
import type { PageWatch } from './browser-support.ts';

if (!chromiumAvailable) {
  if (process.env.CI !== undefined)
    throw new Error('chromium must be installed in CI (/usr/bin/chromium)');
  console.warn('browser tests skipped: /usr/bin/chromium is missing (apt-get install -y chromium)');
}

const KEY = 'pk_integration_browser_key_0123456789abcdef';
const SHOTS = join(import.meta.dirname, '..', '..', '.reports', 'browser');
const DOCS =
  process.env.UPDATE_DOCS_SCREENSHOTS === '1'
    ? join(import.meta.dirname, '..', '..', '..', '..', 'docs')
    : undefined;
/** What the mock ASR hears in each utterance: long enough that its echo plays for seconds. */
const HEARD =
  'hello there, I would like to hear the shipping forecast for all the sea areas around the islands tonight';
const LONG =
  'please read me the whole of the shipping forecast for every sea area around the islands tonight';
const dir = mkdtempSync(join(tmpdir(), 'prx-browser-'));
let server: RunningServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let watch: PageWatch;
let stopped = false;
let sessionId = '';
let assistantId = '';

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${server.url}/api/v1/${path}`, {
    ...init,
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
  });
  const body = (await res.json()) as { data: T; error: unknown };
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(body.error)}`);
  return body.data;
}

/** Signs `p` in with `key` on the page at `path`. */
async function signIn(p: Page, key: string): Promise<void> {
  await p.fill('#api-key', key);
  await p.click('#signin-form button[type=submit]');
}

/** Saves a screenshot under `.reports/browser/` (and `docs/` when retaking them). */
async function shot(p: Page, name: string): Promise<void> {
  await screenshot(p, SHOTS, name);
  if (DOCS !== undefined) await screenshot(p, DOCS, name);
}

describe.skipIf(!chromiumAvailable)('the playground and console in Chromium', () => {
  beforeAll(async () => {
    buildPlayground();
    server = await startServer({
      load: {
        cwd: dir,
        env: {
          PRX_VOICE_SERVER__PORT: '0',
          PRX_VOICE_SERVER__HOST: '127.0.0.1',
          PRX_VOICE_SERVER__SHUTDOWN_TIMEOUT_MS: '300',
          // A quiet session stays up while the console looks at it.
          PRX_VOICE_SESSION__TIMEOUTS__LISTENING_S: '120',
          PRX_VOICE_AUTH__BOOTSTRAP_API_KEY: KEY,
          PRX_VOICE_STORAGE__DATA_DIR: 'data',
          PRX_VOICE_ADAPTERS__ASR__PROVIDER: 'mock',
          PRX_VOICE_ADAPTERS__AGENT__PROVIDER: 'mock',
          PRX_VOICE_ADAPTERS__TTS__PROVIDER: 'mock',
          PRX_VOICE_ADAPTERS__VAD__PROVIDER: 'energy',
        },
      },
      log: () => undefined,
    });
    assistantId = (
      await api<{ id: string }>('assistants', {
        method: 'POST',
        body: JSON.stringify({
          name: 'Echo',
          providers: { asr: 'mock', agent: 'mock', tts: 'mock' },
          provider_options: { asr: { transcript: HEARD }, agent: { token_delay_ms: 5 } },
        }),
      })
    ).id;
    // Speech, then speech again while the (long) reply to it plays: a barge-in by voice.
    browser = await launchChromium(
      speechWav(dir, [
        { say: 'hello there how are you today', thenS: 2 },
        { say: 'please stop I would rather hear about the weather tomorrow', thenS: 10 },
      ]),
    );
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    watch = watchPage(page);
  }, 180_000);

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') {
      await screenshot(page, join(SHOTS, 'failures'), ctx.task.name.replace(/\W+/g, '-'));
    }
    // Each test answers for the errors raised while it ran.
    expect(watch.errors.splice(0)).toEqual([]);
  });

  afterAll(async () => {
    await (browser as Browser | undefined)?.close();
    if (!stopped) await (server as RunningServer | undefined)?.shutdown().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the pages with their content types and a strict CSP', async () => {
    for (const [path, type] of [
      ['/', 'text/html'],
      ['/playground', 'text/html'],
      ['/console', 'text/html'],
      ['/assets/playground.js', 'text/javascript'],
      ['/assets/playback-processor.js', 'text/javascript'],
      ['/assets/app.css', 'text/css'],
    ] as const) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toContain(type);
      expect(res.headers.get('content-security-policy'), path).toContain("script-src 'self'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
    expect((await fetch(`${server.url}/assets/nope.js`)).status).toBe(404);
    expect((await fetch(`${server.url}/assets/..%2Fpackage.json`)).status).toBe(400);
  });

  it('refuses a wrong key plainly, then signs in', async () => {
    await page.goto(`${server.url}/`);
    await watch.expecting(/status of 401/, async () => {
      await signIn(page, 'pk_this_key_does_not_exist_0123456789');
      await page.locator('#banner.error', { hasText: 'refused this API key' }).waitFor();
    });
    expect(page.url()).not.toContain('pk_');
    await signIn(page, KEY);
    await page.locator('#setup').waitFor();
    expect(await page.locator('#banner').isHidden()).toBe(true);
  });

  it(
    'talks: the transcript, the reply played by the playback worklet',
    { timeout: 60_000 },
    async () => {
      await page.selectOption('#assistant', assistantId);
      await page.check('#record');
      await page.click('#start');
      await page.locator('#state[data-state=Listening]').waitFor();
      sessionId = (await page.textContent('#session-id')) ?? '';
      expect(sessionId).toMatch(/^sess_/);
      await page.click('#talk');
      await page.locator('.msg.user:not(.partial)', { hasText: 'hello there' }).waitFor();
      await page.locator('.msg.assistant', { hasText: 'You said: hello there' }).waitFor();
      // The reply's audio went through the playback worklet to the speakers.
      await statOver(page, 'audible-ms', 500);
    },
  );

  it(
    'barges in by speaking: the reply stops within 100 ms of the interruption event',
    { timeout: 60_000 },
    async () => {
      // The microphone's second phrase starts while the reply plays; nothing is clicked.
      await statOver(page, 'stops', 0);
      expect(await stat(page, 'stop-ms')).toBeLessThanOrEqual(100);
      const cut = page.locator('.msg.assistant.interrupted').first();
      await cut.waitFor();
      expect(await cut.getAttribute('title')).toContain('barge_in');
      // Cut where it was heard: what was kept is a prefix, shorter than what was written.
      const heard = (await cut.getAttribute('data-heard')) ?? '';
      const written = (await cut.textContent()) ?? '';
      expect(heard.length).toBeGreaterThan(0);
      expect(written.startsWith(heard)).toBe(true);
      expect(heard.length).toBeLessThan(written.length);
      // The second utterance is heard and answered; both turns have their waterfall.
      await page.locator('.msg.user:not(.partial)').nth(1).waitFor();
      await page.locator('.msg.assistant').nth(1).waitFor();
      await page.locator('#waterfalls figure').nth(1).waitFor({ timeout: 30_000 });
      const caption = await page.locator('#waterfalls figcaption').first().textContent();
      expect(caption).toMatch(/speech end → heard/);
      expect(await page.locator('#waterfalls .wf-bar').count()).toBeGreaterThanOrEqual(8);
      await page.locator('#state[data-state=Listening]').waitFor();
      await page.click('#talk'); // the microphone off
      await expect
        .poll(async () =>
          (
            await api<{ items: { interrupted: boolean }[] }>(`sessions/${sessionId}/turns`)
          ).items.map((t) => t.interrupted),
        )
        .toEqual([true, false]);
    },
  );

  it(
    'barges in by the button: the reply stops within 100 ms of the interruption event',
    { timeout: 60_000 },
    async () => {
      await page.fill('#text-input', LONG);
      await page.press('#text-input', 'Enter');
      await page.locator('#state[data-state=Speaking]').waitFor();
      const before = await stat(page, 'audible-ms');
      await statOver(page, 'audible-ms', before + 300);
      await shot(page, 'playground');
      const stops = await stat(page, 'stops');
      await page.click('#interrupt');
      await statOver(page, 'stops', stops);
      expect(await stat(page, 'stop-ms')).toBeLessThanOrEqual(100);
      const atStop = await stat(page, 'audible-ms');
      await page.locator('#state[data-state=Listening]').waitFor();
      await page.locator('.msg.assistant.interrupted').nth(1).waitFor();
      expect(await stat(page, 'dropped-ms')).toBeGreaterThan(0);
      // Nothing of the interrupted reply played after the flush.
      expect(await stat(page, 'audible-ms')).toBeLessThanOrEqual(atStop + 6);
      const turns = await api<{
        items: {
          interrupted: boolean;
          assistant_text: string | null;
          assistant_text_generated: string | null;
        }[];
      }>(`sessions/${sessionId}/turns`);
      const cut = turns.items.findLast((t) => t.interrupted);
      expect(cut?.assistant_text?.length ?? 0).toBeLessThan(
        cut?.assistant_text_generated?.length ?? 0,
      );
    },
  );
  it(
    'the console: provider health, a platform admin picks a tenant, the session with its timeline and recording; it ends it',
    { timeout: 90_000 },
    async () => {
      // Another tenant with a live session of its own.
      const acme = await tenantWithLiveSession(server.url, KEY, 'acme');
      const consolePage = await context.newPage();
      const consoleWatch = watchPage(consolePage);
      try {
        await consolePage.goto(`${server.url}/console`);
        await signIn(consolePage, KEY);
        const row = consolePage.locator(`#sessions tr[data-session-id="${sessionId}"]`);
        await row.waitFor();
        expect(await row.getAttribute('data-state')).toMatch(/^(Listening|Speaking|Thinking)$/);
        // Provider health: each kind's provider, its breaker closed, its probe passing.
        for (const kind of ['asr', 'agent', 'tts'])
          await consolePage
            .locator(`#providers tr[data-provider="${kind}:mock"][data-breaker=closed]`)
            .waitFor();
        await consolePage.locator('#providers td.ok', { hasText: 'healthy' }).first().waitFor();
        // The bootstrap key is a platform admin's: it picks Acme, then every tenant's live sessions.
        await consolePage.locator('#tenant-scope').waitFor();
        await consolePage.selectOption('#tenant-picker', acme.id);
        const acmeRow = consolePage.locator(`#sessions tr[data-session-id="${acme.sessionId}"]`);
        await acmeRow.waitFor();
        expect(await row.count()).toBe(0);
        expect(await acmeRow.getAttribute('data-tenant-id')).toBe(acme.id);
        expect(await acmeRow.textContent()).toContain('acme');
        await consolePage.selectOption('#tenant-picker', '*');
        await row.waitFor();
        await acmeRow.waitFor();
        await acmeRow.click();
        await consolePage.locator('#banner.info', { hasText: 'key of that tenant' }).waitFor();
        await consolePage.selectOption('#tenant-picker', '');
        await row.waitFor();
        await acmeRow.waitFor({ state: 'detached' });
        // The playground's session: its timeline, turns, latencies and barge-ins.
        await row.click();
        await consolePage.locator('#turns tr').nth(2).waitFor();
        await consolePage.locator('#timeline-events li').first().waitFor();
        expect(await consolePage.locator('#turns').textContent()).toContain('(interrupted)');
        await consolePage.locator('[data-kpi=barge-ins] b', { hasText: /^[2-9]/ }).waitFor();
        expect(
          Number(await consolePage.locator('[data-kpi=turns] b').textContent()),
        ).toBeGreaterThanOrEqual(3);
        expect(await consolePage.locator('[data-kpi=v2v-p95] b').textContent()).toMatch(/\d+ ms/);
        await consolePage.locator('#health td.ok').first().waitFor();
        // Every tenant's live sessions again, with this one's timeline open.
        await consolePage.selectOption('#tenant-picker', '*');
        await acmeRow.waitFor();
        await row.waitFor();
        expect(await consolePage.locator('#banner').isHidden()).toBe(true);
        await shot(consolePage, 'console');
        // The operator ends it; the playground says so and offers a new session.
        await consolePage.click('#end-session');
        await consolePage.locator('#banner.info', { hasText: 'was ended' }).waitFor();
        await page.locator('#banner', { hasText: 'ended from outside this page' }).waitFor();
        await page.locator('#banner button', { hasText: 'Start a new session' }).waitFor();
        // Its recording, joined after the call, plays in the page (fetched with the key, not a URL).
        await consolePage.click('#recordings button.listen', { timeout: 30_000 });
        const audio = consolePage.locator('#recordings audio');
        await audio.waitFor();
        expect(await audio.getAttribute('src')).toMatch(/^blob:/);
        await consolePage.waitForFunction(() => {
          type Audio = { duration: number };
          const doc = (globalThis as unknown as { document: { querySelector(s: string): unknown } })
            .document;
          const el = doc.querySelector('#recordings audio') as Audio | null;
          return el !== null && Number.isFinite(el.duration) && el.duration > 1;
        });
        expect(consoleWatch.errors).toEqual([]);
      } catch (err) {
        await screenshot(consolePage, join(SHOTS, 'failures'), 'console');
        throw err;
      } finally {
        acme.close();
        await consolePage.close();
      }
    },
  );

  it(
    'says plainly when the microphone is refused, and typing still works',
    { timeout: 60_000 },
    async () => {
      const denied = await launchChromium(null);
      try {
        const p = await denied.newPage();
        const w = watchPage(p);
        await p.goto(`${server.url}/`);
        await signIn(p, KEY);
        await p.selectOption('#assistant', assistantId);
        await p.click('#start');
        await p.locator('#state[data-state=Listening]').waitFor();
        await p.click('#talk');
        await p
          .locator('#banner.error', {
            hasText: /Microphone permission was denied|No microphone was found/,
          })
          .waitFor();
        expect(await p.getAttribute('#talk', 'aria-pressed')).toBe('false');
        await p.fill('#text-input', 'can you hear me');
        await p.press('#text-input', 'Enter');
        await p.locator('.msg.assistant', { hasText: 'You said: can you hear me' }).waitFor();
        await p.click('#end');
        await p.locator('#banner.info', { hasText: 'You ended the session' }).waitFor();
        expect(w.errors).toEqual([]);
      } finally {
        await denied.close();
      }
    },
  );

  it(
    'says plainly when the server goes away mid-session, and offers to reconnect',
    { timeout: 90_000 },
    async () => {
      await page.click('#banner button');
      await page.locator('#state[data-state=Listening]').waitFor();
      stopped = true;
      await server.shutdown();
      await page
        .locator('#banner', { hasText: /shutting down|connection to the server was lost/ })
        .waitFor();
      await watch.expecting(/ERR_CONNECTION_REFUSED|Failed to load resource/, async () => {
        await page.click('#banner button', { timeout: 5_000 });
        await page.locator('#banner.error', { hasText: 'cannot be reached' }).waitFor();
      });
      expect(await page.locator('main').isVisible()).toBe(true);
    },
  );
});
