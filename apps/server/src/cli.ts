/**
 * The `prx-voice` command line: `serve` (default), `migrate`, `tenant create`,
 * `apikey create`, `talk`, `billing close|usage`, `audit verify`, `subjects export|erase`.
 * Output goes to the given streams so tests can read it; the exit code is returned, never
 * `process.exit`ed here.
 */
import { parseArgs } from 'node:util';
import type { LoadConfigOptions } from '@prx-voice/core';
import { VoiceError } from '@prx-voice/types';

/** Where a command writes and what it reads. */
export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly load?: LoadConfigOptions;
}

/** A command that needs the server (registered by `main.ts`, kept out of the CLI's imports). */
export type ServeCommand = (io: CliIo, args: readonly string[]) => Promise<number>;

const USAGE = `usage: prx-voice [command]

  serve                         run the server (default)
  migrate                       apply pending database migrations
  tenant create --slug S --name N [--tier trial|starter|growth|enterprise]
  apikey create --tenant SLUG_OR_ID --name N --role ROLE
                                prints the key once; only its hash is stored
  talk --key PK (--text T | --wav FILE) [--url http://127.0.0.1:8080] [--out reply.wav]
                                one turn against a running server: prints the events, saves the reply
  billing close --period YYYY-MM [--tenant SLUG_OR_ID]
                                price the period's usage, issue invoices (every tenant by default)
  billing usage --tenant SLUG_OR_ID [--period YYYY-MM]
                                a tenant's recorded meters of a period (default this month)
  audit verify [--tenant SLUG_OR_ID]
                                recompute audit hash chains, check signed checkpoints (every tenant by default)
  subjects export --tenant SLUG_OR_ID --key K --value V [--out FILE]
                                GDPR export of the data subject whose session metadata K is V
                                (K one of audit.subjects.metadata_keys): the archive goes to the
                                object store, and with --out to FILE too; prints a JSON summary
  subjects erase --tenant SLUG_OR_ID --key K --value V
                                GDPR erasure of that subject (its key first); prints a JSON summary

Configuration: config.yaml or PRX_VOICE_CONFIG, PRX_VOICE_<SECTION>__<KEY>, DATABASE_URL, REDIS_URL.`;

/** Runs the CLI; returns the process exit code. */
export async function runCli(
  argv: readonly string[],
  io: CliIo,
  serve?: ServeCommand,
): Promise<number> {
  const [command = 'serve', sub, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        if (serve === undefined) {
          io.err('serve is not available in this build');
          return 1;
        }
        return await serve(io, argv.slice(1));
      case 'migrate':
        return await (await import('./commands/migrate.js')).migrateCommand(io);
      case 'tenant':
        if (sub !== 'create') break;
        return await (
          await import('./commands/tenant.js')
        ).tenantCreateCommand(
          io,
          options(rest, { slug: 'string', name: 'string', tier: 'string' }),
        );
      case 'apikey':
        if (sub !== 'create') break;
        return await (
          await import('./commands/tenant.js')
        ).apikeyCreateCommand(
          io,
          options(rest, { tenant: 'string', name: 'string', role: 'string' }),
        );
      case 'audit':
        if (sub === 'verify')
          return await (
            await import('./commands/audit.js')
          ).auditVerifyCommand(io, options(rest, { tenant: 'string' }));
        break;
      case 'subjects':
        if (sub === 'export')
          return await (
            await import('./commands/subjects.js')
          ).subjectsExportCommand(
            io,
            options(rest, { tenant: 'string', key: 'string', value: 'string', out: 'string' }),
          );
        if (sub === 'erase')
          return await (
            await import('./commands/subjects.js')
          ).subjectsEraseCommand(
            io,
            options(rest, { tenant: 'string', key: 'string', value: 'string' }),
          );
        break;
      case 'billing':
        if (sub === 'close')
          return await (
            await import('./commands/billing.js')
          ).billingCloseCommand(io, options(rest, { period: 'string', tenant: 'string' }));
        if (sub === 'usage')
          return await (
            await import('./commands/billing.js')
          ).billingUsageCommand(io, options(rest, { period: 'string', tenant: 'string' }));
        break;
      case 'talk':
        return await (
          await import('./commands/talk.js')
        ).talkCommand(
          io,
          options(argv.slice(1), {
            url: 'string',
            key: 'string',
            text: 'string',
            wav: 'string',
            out: 'string',
          }),
        );
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return 0;
      default:
        break;
    }
  } catch (err) {
    const e = VoiceError.from(err);
    io.err(
      `prx-voice ${command}: ${e.message}${e.code === 'INTERNAL' && err instanceof Error && err !== e ? ` (${err.message})` : ''}`,
    );
    return e.code === 'CONFIG_INVALID' ? 78 : 1;
  }
  io.err(`unknown command: ${[command, sub].filter((x) => x !== undefined).join(' ')}\n\n${USAGE}`);
  return 64;
}

function options<K extends string>(
  args: readonly string[],
  spec: Record<K, 'string'>,
): Partial<Record<K, string>> {
  try {
    const { values } = parseArgs({
      args: [...args],
      options: Object.fromEntries(Object.keys(spec).map((k) => [k, { type: 'string' as const }])),
      strict: true,
      allowPositionals: false,
    });
    return values as Partial<Record<K, string>>;
  } catch (err) {
    throw new VoiceError('VALIDATION_FAILED', {
      message: err instanceof Error ? err.message : String(err),
    });
  }
}
