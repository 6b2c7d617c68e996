import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createResampler, readWav } from '@prx-voice/media';
import { afterAll, describe, expect, it } from 'vitest';
import { createPocketsphinxAsr } from '../local/pocketsphinx-asr.js';
import { demoGrammar } from './demo-grammar.js';
import { matchDemoIntent } from './demo-intents.js';
import { DEMO_INTENT_NAMES, DEMO_PHRASES, DEMO_SLOTS } from './demo-phrases.js';
import type { DemoIntentName } from './demo-phrases.js';
import { parsePhrase, toJsgf } from './phrase-expression.js';
import type { PhraseNode } from './phrase-expression.js';

const slotTrees = new Map(
  Object.entries(DEMO_SLOTS).map(([name, slot]) => [name, parsePhrase(slot.expression)]),
);

/** A sentence the phrase can produce, choices made by `next()` (in [0, 1)). */
function expand(node: PhraseNode, next: () => number): string[] {
  switch (node.kind) {
    case 'word':
      return [node.word];
    case 'slot':
      return expand(slotTrees.get(node.name) as PhraseNode, next);
    case 'opt':
      return next() < 0.5 ? [] : expand(node.item, next);
    case 'seq':
      return node.items.flatMap((item) => expand(item, next));
    case 'alt':
      return expand(node.options[Math.floor(next() * node.options.length)] as PhraseNode, next);
  }
}

/** A small seeded generator (mulberry32), so the sampled sentences are the same every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Intents an earlier intent may take a sentence from, on purpose (`yes, book it` books). */
const CLAIMED_BY: Partial<Record<DemoIntentName, readonly DemoIntentName[]>> = {
  yes: ['book'],
};

describe('the demo grammar', () => {
  it('is JSGF with one rule per intent holding each of its phrases, and one per slot', () => {
    const grammar = demoGrammar();
    expect(grammar.startsWith('#JSGF V1.0;\ngrammar prx_demo;\npublic <utterance> = ')).toBe(true);
    for (const intent of DEMO_INTENT_NAMES) {
      expect(grammar).toContain(`<intent_${intent}> = `);
      for (const phrase of DEMO_PHRASES[intent]) {
        expect(grammar).toContain(toJsgf(parsePhrase(phrase), (slot) => `slot_${slot}`));
      }
    }
    for (const slot of Object.keys(DEMO_SLOTS)) expect(grammar).toContain(`<slot_${slot}> = `);
    expect(grammar).toContain('<slot_name> = (alice | bob |');
  });

  it('only produces sentences the intent matcher gives to the intent they came from', () => {
    const next = seeded(42);
    let sampled = 0;
    for (const intent of DEMO_INTENT_NAMES) {
      for (const phrase of DEMO_PHRASES[intent]) {
        const tree = parsePhrase(phrase);
        for (let i = 0; i < 40; i++) {
          const sentence = expand(tree, next).join(' ');
          const matched = matchDemoIntent(sentence).intent;
          const allowed = [intent, ...(CLAIMED_BY[intent] ?? [])];
          expect(allowed, `"${sentence}" (${intent}) matched ${matched}`).toContain(matched);
          sampled++;
        }
      }
    }
    expect(sampled).toBeGreaterThan(500);
  });

  const dictionary = '/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict';
  it.skipIf(!existsSync(dictionary))('uses only words of the pocketsphinx dictionary', () => {
    const known = new Set(
      readFileSync(dictionary, 'utf8')
        .split('\n')
        .map((line) => line.split(' ')[0]),
    );
    const words = demoGrammar()
      .split('\n')
      .slice(2)
      .join(' ')
      .replace(/<[^>]+>|[=;|()[\]]/g, ' ')
      .split(/\s+/)
      .filter((w) => w !== '' && w !== 'public');
    expect(words.filter((w) => !known.has(w))).toEqual([]);
  });
});

const installed = (tool: string): boolean =>
  spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
const HAS_TOOLS = installed('pocketsphinx_continuous') && installed('espeak-ng');
const scratch = mkdtempSync(join(tmpdir(), 'prx-demo-grammar-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** espeak-ng saying `text`, at 16 kHz with 300 ms of silence around it. */
function speech(text: string): Int16Array {
  const file = join(scratch, 'speech.wav');
  const result = spawnSync('espeak-ng', ['-v', 'en-us+f2', '-w', file, text], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`espeak-ng failed: ${result.stderr}`);
  const wav = readWav(readFileSync(file));
  const resampler = createResampler({ from: wav.sampleRate, to: 16000 });
  const head = resampler.process(wav.samples).slice();
  const tail = resampler.flush();
  const out = new Int16Array(4800 + head.length + tail.length + 4800);
  out.set(head, 4800);
  out.set(tail, 4800 + head.length);
  return out;
}

describe.skipIf(!HAS_TOOLS && process.env['CI'] === undefined)(
  'pocketsphinx with the demo grammar',
  () => {
    it('loads it and recognises the demo’s questions, which the matcher then understands', async () => {
      const asr = createPocketsphinxAsr();
      const heard: string[] = [];
      for (const sentence of [
        'is there a table for four on friday at seven thirty',
        'my name is alice',
        'what are your opening hours',
      ]) {
        const stream = asr.open({
          sampleRate: 16000,
          language: 'en-US',
          options: { grammar: demoGrammar() },
        });
        stream.push(speech(sentence));
        stream.finalize();
        for await (const event of stream) {
          if (event.type === 'final') {
            heard.push(event.text);
            break;
          }
        }
        stream.abort();
      }
      expect(heard).toEqual([
        'is there a table for four on friday at seven thirty',
        'my name is alice',
        'what are your opening hours',
      ]);
      expect(heard.map((text) => matchDemoIntent(text).intent)).toEqual([
        'availability',
        'give_name',
        'hours',
      ]);
    }, 60_000);
  },
);
