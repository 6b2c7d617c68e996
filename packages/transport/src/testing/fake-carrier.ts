/**
 * What the local fake carrier (`carrier-api.ts`) is made of, shared by the carriers it
 * speaks: the media-stream socket it opens, a call it placed, the requests it received and
 * the faults a test queues — and {@link FakeCarrierApi}, how a carrier's REST API plugs in
 * (Twilio's in `twilio-api.ts`, Telnyx's in `telnyx-api.ts`, Plivo's in `plivo-api.ts`,
 * Vonage's in `vonage-api.ts`).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { PlivoClientScript } from './plivo-client.js';
import type { TelnyxClientScript } from './telnyx-client.js';
import type { TwilioClientScript } from './twilio-client.js';
import type { VonageClientScript } from './vonage-client.js';

/** A media-stream connection the fake carrier opened (a WebSocket, adapted by the test). */
export interface CarrierStreamSocket {
  send(text: string): void;
  close(): void;
  onMessage(listener: (text: string) => void): void;
  /** Sends a binary frame (Vonage's audio). */
  sendBinary?(data: Uint8Array): void;
  /** Binary frames from the server (Vonage's audio). */
  onBinary?(listener: (data: Uint8Array) => void): void;
}

/** One call the fake carrier placed. */
export interface FakeCarrierCall {
  readonly carrier: 'twilio' | 'telnyx' | 'plivo' | 'vonage';
  /** Twilio's CallSid or Telnyx's call_control_id. */
  readonly id: string;
  /** The create request's fields (Twilio's form, Telnyx's JSON). */
  readonly request: Readonly<Record<string, unknown>>;
  readonly socket: CarrierStreamSocket;
  readonly twilio?: TwilioClientScript;
  readonly telnyx?: TelnyxClientScript;
  readonly plivo?: PlivoClientScript;
  readonly vonage?: VonageClientScript;
  /** Texts the server sent on the stream, in order. */
  readonly received: string[];
  /** Everything the server sent on the stream (texts and binary frames), in order. */
  readonly frames: readonly (string | Uint8Array)[];
  /** The server asked to hang up. */
  readonly hungUp: boolean;
  /** Resolves once `pred` holds (checked on every message from the server and at hang-up). */
  until(pred: () => boolean): Promise<void>;
}

/** A request the fake received. */
export interface CarrierApiRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
  readonly body: string;
}

/** What the next request gets instead of the carrier's normal answer. */
export interface CarrierApiFault {
  readonly status: number;
  readonly message: string;
}

/** A request as a {@link FakeCarrierApi} sees it. */
export interface FakeCarrierRequest {
  readonly method: string;
  /** The URL's path, without the query. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The fault a test queued for this request, if any: answer it as the carrier errs. */
  readonly fault: CarrierApiFault | undefined;
  /** Answers with `status` and `body` as JSON (no body when undefined). */
  reply(status: number, body?: unknown): void;
}

/** What the fake server lends a {@link FakeCarrierApi}. */
export interface FakeCarrierTools {
  /** Registers a call whose stream is open; `onHangUp` runs when the REST API hangs it up. */
  place(
    call: Omit<FakeCarrierCall, 'hungUp' | 'until' | 'received' | 'frames'>,
    onHangUp: () => Promise<void>,
  ): void;
  /** Runs work after the answer, ignoring its failure. */
  background(work: Promise<unknown>): void;
  /** The calls placed and not hung up, by id; hang one up with `hangUp()` after deleting it. */
  readonly live: Map<string, { hangUp(): void }>;
  /** A number unique on this server (for ids). */
  nextNumber(): number;
  /** Opens the media stream. */
  dial(url: string): Promise<CarrierStreamSocket>;
  /** A URL the server gave → where it listens. */
  rewrite(url: string): string;
  /** The answering-machine result to report. */
  readonly answeredBy: string;
}

/** A carrier's REST API in the fake. */
export interface FakeCarrierApi {
  /** Answers `request` and returns true when it is this carrier's; false otherwise. */
  handle(request: FakeCarrierRequest, tools: FakeCarrierTools): boolean;
}
