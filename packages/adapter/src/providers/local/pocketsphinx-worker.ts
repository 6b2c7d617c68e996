/**
 * One `pocketsphinx_continuous` process transcribing one utterance of raw
 * PCM16 16 kHz mono.
 *
 * pocketsphinx reads its audio with `fopen(-infile)`, and `/dev/stdin` cannot
 * be opened when stdin is the socket Node gives a child (ENXIO). Rather than a
 * shell pipeline (`sh -c 'cat | exec pocketsphinx_continuous -infile /dev/stdin'`,
 * whose `cat` outlives a dead engine and whose shell can be signalled before it
 * reaps its children, leaving orphans to become zombies), the audio goes
 * through a FIFO: `dd of=FIFO`, fed on its stdin, copies into it what it
 * reads, and the engine reads `-infile FIFO`. Both are direct children of
 * Node, so the engine's exit is seen at once and killing them leaves nothing
 * behind. Whichever side opens the FIFO first blocks in its own process until
 * the other opens it, so audio written (and ended) before the engine has
 * loaded its models is neither lost nor stuck.
 */
import { rmSync } from 'node:fs';
import { pcm16Bytes } from '@prx-voice/media';
import { LocalProcess } from './local-process.js';
import type { LocalProcessInfo, ProcessExit } from './local-process.js';

/** Printed to stderr once the models are loaded, before the audio is opened. */
const READY_MARKER = 'COMPILED ON';
/** The live cepstral mean after an utterance, e.g. `cmn_live.c(138): Update to   < 47.51  0.18 … >`. */
const CMN_UPDATE = /cmn_live\.c\(\d+\): Update to\s*<([^>]*)>/;

/** How a {@link SphinxWorker} runs and reports. */
export interface SphinxWorkerSettings {
  readonly command: string;
  /** Engine arguments other than `-infile`. */
  readonly args: readonly string[];
  /** Path of the FIFO to create for the audio (in a private directory). */
  readonly fifo: string;
  /** A hypothesis line: pocketsphinx prints one per utterance it ends (possibly empty). */
  readonly onLine: (line: string) => void;
  /** The cepstral mean the engine adapted to, comma-separated for `-cmninit`. */
  readonly onCmn: (values: string) => void;
  /** The engine exited and its output was read (the feeder is gone too). */
  readonly onExit: (exit: ProcessExit) => void;
  /** Told about each process started (`mkfifo`, then the engine and its feeder). */
  readonly onProcess?: ((process: LocalProcessInfo) => void) | undefined;
}

/** A supervised pocketsphinx_continuous process and its feeder; see the file note. */
export class SphinxWorker {
  readonly #settings: SphinxWorkerSettings;
  #engine: LocalProcess | undefined;
  #feeder: LocalProcess | undefined;
  /** Audio written before the processes are started. */
  readonly #queued: Int16Array[] = [];
  #ready = false;
  readonly #early: string[] = [];
  #inputEnded = false;
  #stopped = false;

  constructor(settings: SphinxWorkerSettings) {
    this.#settings = settings;
    const mkfifo = new LocalProcess('mkfifo', ['-m', '600', settings.fifo]);
    settings.onProcess?.(mkfifo);
    void mkfifo.exited.then((exit) => {
      this.#start(exit, mkfifo.stderrTail());
    });
  }

  /** Whether the engine loaded its models (a failure before that is a configuration error). */
  get ready(): boolean {
    return this.#ready;
  }

  /** Whether {@link endInput} was called. */
  get inputEnded(): boolean {
    return this.#inputEnded;
  }

  /** Whether {@link stop} was called. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** The tail of the engine's stderr. */
  stderrTail(): string {
    return this.#engine?.stderrTail() ?? '';
  }

  /** Feeds 16 kHz samples; the array must not change afterwards (it is written later). */
  write(samples: Int16Array): void {
    if (this.#inputEnded || samples.length === 0) return;
    if (this.#feeder === undefined) this.#queued.push(samples);
    else this.#feeder.write(pcm16Bytes(samples));
  }

  /** Ends the input: the engine finishes the utterance it is in, prints it, and exits. */
  endInput(): void {
    if (this.#inputEnded) return;
    this.#inputEnded = true;
    this.#feeder?.endInput();
  }

  /** Kills the engine and its feeder; their output is ignored from now on. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#inputEnded = true;
    this.#engine?.kill('SIGKILL');
    this.#feeder?.kill('SIGKILL');
  }

  #start(mkfifo: ProcessExit, stderr: string): void {
    const settings = this.#settings;
    if (this.#stopped) {
      rmSync(settings.fifo, { force: true });
      return;
    }
    if (mkfifo.code !== 0) {
      const reason = mkfifo.spawnError?.message ?? stderr;
      const spawnError = new Error(`mkfifo ${settings.fifo} failed: ${reason}`);
      settings.onExit({ code: null, signal: null, spawnError });
      return;
    }
    const engine = new LocalProcess(
      settings.command,
      ['-infile', settings.fifo, ...settings.args],
      {
        onStdoutLine: (line) => {
          if (this.#ready) settings.onLine(line);
          else this.#early.push(line);
        },
        onStderrLine: (line) => {
          if (!this.#ready && line.includes(READY_MARKER)) this.#becomeReady();
          const cmn = CMN_UPDATE.exec(line)?.[1]?.trim();
          if (cmn !== undefined && cmn !== '') settings.onCmn(cmn.split(/\s+/).join(','));
        },
      },
    );
    const feeder = new LocalProcess('dd', [`of=${settings.fifo}`, 'bs=4096', 'status=none']);
    this.#engine = engine;
    this.#feeder = feeder;
    settings.onProcess?.(engine);
    settings.onProcess?.(feeder);
    for (const samples of this.#queued.splice(0)) feeder.write(pcm16Bytes(samples));
    if (this.#inputEnded) feeder.endInput();
    // Without its feeder the engine would wait for audio forever; without its
    // engine the feeder would wait for input that nobody reads.
    void feeder.exited.then((exit) => {
      if (exit.code !== 0) engine.kill('SIGKILL');
    });
    void engine.exited.then(() => {
      feeder.kill('SIGKILL');
    });
    void Promise.all([engine.exited, feeder.exited]).then(([engineExit, feederExit]) => {
      rmSync(settings.fifo, { force: true });
      if (this.#stopped) return;
      // A clean exit means the engine ran, whatever its stderr said.
      if (engineExit.code === 0 && !this.#ready) this.#becomeReady();
      const spawnError = engineExit.spawnError ?? feederExit.spawnError;
      settings.onExit(spawnError === undefined ? engineExit : { ...engineExit, spawnError });
    });
  }

  /**
   * Stdout lines before the ready marker are held back: a grammar that fails
   * to parse is echoed there, and stdout and stderr are separate pipes whose
   * reads Node may deliver in either order.
   */
  #becomeReady(): void {
    this.#ready = true;
    for (const line of this.#early.splice(0)) this.#settings.onLine(line);
  }
}
