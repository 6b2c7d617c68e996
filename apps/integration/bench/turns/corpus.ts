/**
 * The turn-taking bench's clips, made at run time with espeak-ng (speech) and
 * sox (resampling to 16 kHz mono PCM16, peak normalisation, synthesised noises,
 * the steady noise bed of the SNR variants) in a temp dir. Each clip keeps where
 * its speech lies (from the clean output, see `activeSpan`) and its true words.
 */
import { mapLimit } from '../load-client.js';
import {
  BACKCHANNELS,
  BARGE_INS,
  HESITATIONS,
  NOISES,
  RATES,
  SENTENCES,
  SHORTS,
  VOICES,
} from './corpus-script.js';
import { CLIP_RATE, speak, synthesize } from './corpus-tools.js';
import { activeRms, activeSpan, concatWithGap, rmsOf, samplesOf } from './pcm.js';
import type { Span } from './pcm.js';

/** The kinds of clip, in table order. */
export const CLIP_KINDS = [
  'sentence',
  'short',
  'hesitation',
  'barge_in',
  'backchannel',
  'noise',
] as const;

/** A kind of clip: what the caller does and so what the bot should do. */
export type ClipKind = (typeof CLIP_KINDS)[number];

/** Kinds said while the bot is talking. */
export const OVERLAP_KINDS: readonly ClipKind[] = ['barge_in', 'backchannel', 'noise'];

/** The steady noise under an SNR variant, looped over the whole session. */
export interface NoiseBed {
  readonly samples: Int16Array;
  /** Factor applied to `samples` when mixed (sets the SNR). */
  readonly gain: number;
}

/** One clip and what is true about it. */
export interface Clip {
  /** E.g. `sentence-2@-30dB`, `noise-music`. */
  readonly id: string;
  readonly kind: ClipKind;
  /** Peak level (`-12dB`, `-20dB`, `-30dB`; hesitations, overlaps and noises `-12dB`), or `snr10`: −20 dB peak over the noise bed at 10 dB SNR. */
  readonly level: string;
  /** espeak voice and rate, or the noise's name. */
  readonly source: string;
  /** The words of each part as given to espeak (two parts for a hesitation; none for noise). */
  readonly words: readonly string[];
  /** The mock ASR's `transcript` option: one text per utterance the VAD may find. */
  readonly transcript: readonly string[];
  /** 16 kHz mono PCM16. */
  readonly samples: Int16Array;
  /** Where each part's sound lies, ms from the clip's first sample. */
  readonly parts: readonly Span[];
  /** From the first part's start to the last part's end. */
  readonly sound: Span;
  readonly bed?: NoiseBed;
}

/** Which clips to make. */
export interface CorpusOptions {
  /** The temp dir to write into. */
  readonly dir: string;
  /** One clip per kind (a sentence at −12 dB and a short at −20 dB). */
  readonly quick?: boolean;
  /** Only these kinds (default all). */
  readonly kinds?: readonly ClipKind[];
}

function spanOf(samples: Int16Array, what: string): Span {
  const span = activeSpan(samples, CLIP_RATE);
  if (span === undefined) throw new Error(`corpus: ${what} came out silent`);
  return span;
}

function voiceOf(i: number, kindIndex: number): { voice: string; rate: number } {
  return {
    voice: VOICES[(i + kindIndex) % VOICES.length] ?? 'en-us',
    rate: RATES[(Math.floor(i / 2) + kindIndex) % RATES.length] ?? 175,
  };
}

/** Level variants of a sentence or short: peak −12, −20, −30 dBFS, and −20 over the bed at 10 dB SNR. */
const LEVELS = [-12, -20, -30] as const;
/** Peak of hesitations, overlaps and noises (a caller close to the microphone), dBFS. */
const OVERLAP_PEAK = -12;
/** SNR of the noise-bed variant, dB (speech RMS over its active windows vs the bed's RMS). */
const SNR_DB = 10;

type Job = () => Promise<Clip[]>;

function utteranceJobs(
  kind: 'sentence' | 'short',
  texts: readonly string[],
  ctx: { dir: string; quick: boolean; bed: () => Promise<Int16Array> },
): Job[] {
  const kindIndex = CLIP_KINDS.indexOf(kind);
  const list = ctx.quick ? texts.slice(0, 1) : texts;
  return list.map((text, i) => async () => {
    const { voice, rate } = voiceOf(i, kindIndex);
    const peaks = ctx.quick ? [kind === 'sentence' ? -12 : -20] : LEVELS;
    const name = `${kind}-${i + 1}`;
    const byPeak = await speak({ dir: ctx.dir, name, text, voice, rate, peaks: [...peaks] });
    const clips: Clip[] = [];
    const base = { kind, source: `${voice} ${rate}wpm`, words: [text], transcript: [text] };
    for (const [peak, samples] of byPeak) {
      const sound = spanOf(samples, name);
      clips.push({
        ...base,
        id: `${name}@${peak}dB`,
        level: `${peak}dB`,
        samples,
        parts: [sound],
        sound,
      });
    }
    const snrSource = byPeak.get(-20);
    if (!ctx.quick && snrSource !== undefined) {
      const bed = await ctx.bed();
      const gain = (activeRms(snrSource, CLIP_RATE) * 10 ** (-SNR_DB / 20)) / rmsOf(bed);
      const sound = spanOf(snrSource, name);
      clips.push({
        ...base,
        id: `${name}@snr${SNR_DB}`,
        level: `snr${SNR_DB}`,
        samples: snrSource,
        parts: [sound],
        sound,
        bed: { samples: bed, gain },
      });
    }
    return clips;
  });
}

function hesitationJobs(dir: string, quick: boolean): Job[] {
  const kindIndex = CLIP_KINDS.indexOf('hesitation');
  return (quick ? HESITATIONS.slice(0, 1) : HESITATIONS).map((h, i) => async () => {
    const { voice, rate } = voiceOf(i, kindIndex);
    const name = `hesitation-${i + 1}`;
    const say = async (text: string, part: string): Promise<Int16Array> => {
      const pcm = await speak({
        dir,
        name: `${name}${part}`,
        text,
        voice,
        rate,
        peaks: [OVERLAP_PEAK],
      });
      return pcm.get(OVERLAP_PEAK) ?? new Int16Array(0);
    };
    const a = await say(h.first, 'a');
    const b = await say(h.second, 'b');
    const spanA = spanOf(a, `${name}a`);
    const spanB = spanOf(b, `${name}b`);
    // First half up to its speech end, the pause, the second half from its speech start.
    const head = a.subarray(0, samplesOf(spanA.endMs, CLIP_RATE));
    const tail = b.subarray(samplesOf(spanB.startMs, CLIP_RATE));
    const samples = concatWithGap(head, samplesOf(h.pauseMs, CLIP_RATE), tail);
    const secondStart = spanA.endMs + h.pauseMs;
    const parts = [
      spanA,
      { startMs: secondStart, endMs: secondStart + (spanB.endMs - spanB.startMs) },
    ];
    const sound = { startMs: spanA.startMs, endMs: parts[1]?.endMs ?? spanA.endMs };
    const words = [h.first, h.second];
    return [
      {
        id: name,
        kind: 'hesitation',
        level: `${OVERLAP_PEAK}dB`,
        source: `${voice} ${rate}wpm, pause ${h.pauseMs} ms`,
        words,
        transcript: words,
        samples,
        parts,
        sound,
      },
    ];
  });
}

function overlapJobs(
  kind: 'barge_in' | 'backchannel',
  texts: readonly string[],
  dir: string,
  quick: boolean,
): Job[] {
  const kindIndex = CLIP_KINDS.indexOf(kind);
  return (quick ? texts.slice(0, 1) : texts).map((text, i) => async () => {
    const { voice, rate } = voiceOf(i, kindIndex);
    const name = `${kind}-${i + 1}`;
    const pcm = await speak({ dir, name, text, voice, rate, peaks: [OVERLAP_PEAK] });
    const samples = pcm.get(OVERLAP_PEAK) ?? new Int16Array(0);
    const sound = spanOf(samples, name);
    const level = `${OVERLAP_PEAK}dB`;
    const source = `${voice} ${rate}wpm`;
    return [
      {
        id: name,
        kind,
        level,
        source,
        words: [text],
        transcript: [text],
        samples,
        parts: [sound],
        sound,
      },
    ];
  });
}

function noiseJobs(dir: string, quick: boolean): Job[] {
  return (quick ? NOISES.slice(0, 1) : NOISES).map((noise) => async () => {
    const name = `noise-${noise.name}`;
    const samples = await synthesize(dir, name, noise, OVERLAP_PEAK);
    const sound = spanOf(samples, name);
    const level = `${OVERLAP_PEAK}dB`;
    return [
      {
        id: name,
        kind: 'noise',
        level,
        source: noise.name,
        words: [],
        transcript: [''],
        samples,
        parts: [sound],
        sound,
      },
    ];
  });
}

/** Makes the clips in `opts.dir` (sox and espeak-ng run four at a time), in kind order. */
export async function generateCorpus(opts: CorpusOptions): Promise<Clip[]> {
  const quick = opts.quick ?? false;
  const kinds = new Set<ClipKind>(opts.kinds ?? CLIP_KINDS);
  let bed: Promise<Int16Array> | undefined;
  const ctx = {
    dir: opts.dir,
    quick,
    // 20 s of pink noise, band-limited like a room's: one bed for every SNR clip.
    bed: () =>
      (bed ??= synthesize(
        opts.dir,
        'bed',
        { effects: ['synth', '20', 'pinknoise', 'lowpass', '4000'] },
        -20,
      )),
  };
  const jobs: Job[] = [
    ...(kinds.has('sentence') ? utteranceJobs('sentence', SENTENCES, ctx) : []),
    ...(kinds.has('short') ? utteranceJobs('short', SHORTS, ctx) : []),
    ...(kinds.has('hesitation') ? hesitationJobs(opts.dir, quick) : []),
    ...(kinds.has('barge_in') ? overlapJobs('barge_in', BARGE_INS, opts.dir, quick) : []),
    ...(kinds.has('backchannel') ? overlapJobs('backchannel', BACKCHANNELS, opts.dir, quick) : []),
    ...(kinds.has('noise') ? noiseJobs(opts.dir, quick) : []),
  ];
  const made = await mapLimit(jobs.length, 4, (i) => jobs[i]?.() ?? Promise.resolve([]));
  return made.flat();
}
