/**
 * Child-process entry of the load bench: one load generator. It runs its share
 * of a run's callers (`load-client.ts`) in an event loop of its own, driven by
 * the parent over the protocol of `generator-ipc.ts`: `load` (connect, answer
 * `connected`), `go` (stream, answer `streamed` with the figures, sockets left
 * open), `hang-up` (close, answer `closed`, exit).
 */
import type { FromGenerator, ToGenerator } from './generator-ipc.js';
import { openCallers } from './load-client.js';
import type { CallerGroup } from './load-client.js';
import { samplesFromBase64 } from './speech-clip.js';

function send(message: FromGenerator): void {
  if (process.send === undefined) throw new Error('load generator: no IPC channel to the parent');
  process.send(message);
}

/** Reports `error` on stderr (the parent shows its tail) and exits: the parent sees the exit. */
function die(error: unknown): never {
  process.stderr.write(
    `load generator: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
}

let group: Promise<CallerGroup> | undefined;

async function handle(message: ToGenerator): Promise<void> {
  switch (message.type) {
    case 'load':
      group = openCallers({
        kind: message.kind,
        load: message.opts,
        callers: message.callers,
        speech: samplesFromBase64(message.speechBase64),
      });
      await group;
      send({ type: 'connected' });
      return;
    case 'go': {
      if (group === undefined) throw new Error('go before load');
      const result = await (await group).stream();
      send({ type: 'streamed', ...result });
      return;
    }
    case 'hang-up':
      if (group !== undefined) await (await group).hangUp();
      send({ type: 'closed' });
      process.disconnect();
      return;
  }
}

process.on('message', (message: ToGenerator) => {
  handle(message).catch(die);
});
// The parent went away: do not linger.
process.on('disconnect', () => process.exit(0));
send({ type: 'started' });
