/** The options of the `pocketsphinx` ASR and the engine arguments they become. */
import { z } from 'zod';

/** pocketsphinx's models are for 16 kHz audio; pushed audio is resampled to it. */
export const ENGINE_RATE = 16_000;

/** Beams used with a grammar: the engine's defaults prune the grammar's final state on synthetic or unusual voices. */
const GRAMMAR_BEAM = 1e-80;
const GRAMMAR_WBEAM = 1e-60;

/** The options of the pocketsphinx ASR (`asr.options`); the model paths default to the engine's own. */
export const pocketsphinxOptionsSchema = z
  .object({
    /** A JSGF grammar (the text, written to a temporary file per stream). */
    grammar: z.string().min(1).optional(),
    /** A phrase to spot instead of transcribing. */
    keyphrase: z.string().min(1).optional(),
    /** Detection threshold of the keyphrase (default 1e-30; lower spots more, and more falsely). */
    kws_threshold: z.number().positive().max(1).default(1e-30),
    /** Pronunciation dictionary file. */
    dict: z.string().min(1).optional(),
    /** Acoustic model directory. */
    hmm: z.string().min(1).optional(),
    /** Language model file (used when there is no grammar or keyphrase). */
    lm: z.string().min(1).optional(),
    /** Search beam (`-beam`, `-pbeam`); default 1e-80 with a grammar (cheap there, and more robust), else the engine's. */
    beam: z.number().positive().max(1).optional(),
    /** Word-exit beam (`-wbeam`); default 1e-60 with a grammar, else the engine's. */
    wbeam: z.number().positive().max(1).optional(),
    /** Restarts of a dead engine allowed in a row (reset by each final; default 3). */
    max_restarts: z.number().int().min(0).max(100).default(3),
    /** Longest wait from `finalize()` to the engine's result before failing (default 10 s). */
    final_timeout_ms: z.number().positive().max(600_000).default(10_000),
  })
  .refine(
    (o) => [o.grammar, o.keyphrase, o.lm].filter((v) => v !== undefined).length <= 1,
    'set at most one of grammar, keyphrase and lm',
  );

/** Parsed options of the pocketsphinx ASR. */
export type PocketsphinxOptions = z.output<typeof pocketsphinxOptionsSchema>;

/**
 * Arguments of `pocketsphinx_continuous` other than `-infile`: the models, the
 * search (grammar file, keyphrase or language model, else the engine's default
 * model), the beams, and the cepstral mean to start from.
 */
export function sphinxArgs(
  options: PocketsphinxOptions,
  grammarFile: string | undefined,
  cmn: string | undefined,
): string[] {
  const args = ['-samprate', String(ENGINE_RATE)];
  if (options.hmm !== undefined) args.push('-hmm', options.hmm);
  if (options.dict !== undefined) args.push('-dict', options.dict);
  const grammar = grammarFile !== undefined;
  const beam = options.beam ?? (grammar ? GRAMMAR_BEAM : undefined);
  const wbeam = options.wbeam ?? (grammar ? GRAMMAR_WBEAM : undefined);
  if (beam !== undefined) args.push('-beam', String(beam), '-pbeam', String(beam));
  if (wbeam !== undefined) args.push('-wbeam', String(wbeam));
  if (grammarFile !== undefined) args.push('-jsgf', grammarFile);
  else if (options.keyphrase !== undefined) {
    args.push('-keyphrase', options.keyphrase, '-kws_threshold', String(options.kws_threshold));
  } else if (options.lm !== undefined) args.push('-lm', options.lm);
  if (cmn !== undefined) args.push('-cmninit', cmn);
  return args;
}
