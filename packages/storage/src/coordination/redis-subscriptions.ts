/**
 * Pub/sub for the Redis coordinator: one subscriber connection per coordinator,
 * opened on the first `subscribe`, holding every channel this instance listens
 * to. A channel is SUBSCRIBEd when its first handler arrives and UNSUBSCRIBEd
 * when its last leaves; each decision and its command happen in one synchronous
 * step, so commands reach Redis in the order of the calls. ioredis resubscribes
 * after a reconnect.
 */
import type { Redis } from 'ioredis';
import { VoiceError } from '@prx-voice/types';
import type { MessageHandler, Unsubscribe } from './coordinator.js';
import { toVoiceError } from './redis-errors.js';

interface ChannelState {
  readonly handlers: Set<MessageHandler>;
  /** Settles when Redis confirmed the SUBSCRIBE. */
  readonly ready: Promise<void>;
}

/** Options of {@link RedisSubscriptions}. */
export interface RedisSubscriptionsOptions {
  /** Opens the subscriber connection (called at most once). */
  readonly connect: () => Redis;
  /** Receives handler exceptions and subscriber connection errors. */
  readonly onError: (error: VoiceError) => void;
}

/** The subscriber side of one Redis coordinator. */
export class RedisSubscriptions {
  readonly #options: RedisSubscriptionsOptions;
  readonly #channels = new Map<string, ChannelState>();
  #connection: Redis | undefined;

  constructor(options: RedisSubscriptionsOptions) {
    this.#options = options;
  }

  #subscriber(): Redis {
    if (this.#connection !== undefined) return this.#connection;
    const connection = this.#options.connect();
    connection.on('message', (channel: unknown, message: unknown) => {
      if (typeof channel === 'string' && typeof message === 'string')
        this.#deliver(channel, message);
    });
    connection.on('error', (error: unknown) => {
      this.#options.onError(toVoiceError(error, 'subscriber connection'));
    });
    this.#connection = connection;
    return connection;
  }

  #deliver(channel: string, message: string): void {
    const state = this.#channels.get(channel);
    if (state === undefined) return;
    for (const handler of [...state.handlers]) {
      if (!state.handlers.has(handler)) continue;
      try {
        handler(message);
      } catch (error) {
        this.#options.onError(
          new VoiceError('INTERNAL', {
            message: 'A subscription handler threw',
            details: { channel },
            cause: error,
          }),
        );
      }
    }
  }

  /** Adds a handler for a Redis channel; resolves once Redis confirmed the subscription. */
  async subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe> {
    const connection = this.#subscriber();
    let state = this.#channels.get(channel);
    if (state === undefined) {
      const created: ChannelState = {
        handlers: new Set(),
        ready: connection.subscribe(channel).then(
          () => undefined,
          (error: unknown) => {
            if (this.#channels.get(channel) === created) this.#channels.delete(channel);
            throw toVoiceError(error, 'SUBSCRIBE');
          },
        ),
      };
      this.#channels.set(channel, created);
      state = created;
    }
    // A distinct function per subscription, so one handler subscribed twice is two subscriptions.
    const registered: MessageHandler = (message) => {
      handler(message);
    };
    state.handlers.add(registered);
    try {
      await state.ready;
    } catch (error) {
      state.handlers.delete(registered);
      throw error;
    }
    const subscribed = state;
    return async () => {
      if (!subscribed.handlers.delete(registered)) return;
      if (subscribed.handlers.size > 0 || this.#channels.get(channel) !== subscribed) return;
      this.#channels.delete(channel);
      try {
        await connection.unsubscribe(channel);
      } catch (error) {
        // Already closed or disconnected: the subscription is gone with the connection.
        if (connection.status !== 'end') throw toVoiceError(error, 'UNSUBSCRIBE');
      }
    };
  }

  /** Drops every handler and closes the subscriber connection, if one was opened. */
  async close(): Promise<void> {
    this.#channels.clear();
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection !== undefined) await quitConnection(connection);
  }
}

/** Quits a connection politely when it is up (resolving once it has ended), else just disconnects it. */
export async function quitConnection(connection: Redis): Promise<void> {
  if (connection.status === 'end') return;
  if (connection.status !== 'ready') {
    connection.disconnect();
    return;
  }
  const ended = new Promise<void>((resolve) => {
    connection.once('end', () => {
      resolve();
    });
  });
  try {
    await connection.quit();
  } catch {
    connection.disconnect();
  }
  await ended;
}
