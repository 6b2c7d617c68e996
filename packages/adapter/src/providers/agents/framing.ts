/**
 * Framing of streamed response bodies: server-sent events (parsed by
 * `eventsource-parser`) and newline-delimited JSON.
 */
import { createParser } from 'eventsource-parser';
import type { EventSourceMessage } from 'eventsource-parser';

/** The server-sent events in a stream of text chunks, in order; an unterminated last event is dropped. */
export async function* sseMessages(
  chunks: AsyncIterable<string>,
): AsyncGenerator<EventSourceMessage> {
  const pending: EventSourceMessage[] = [];
  const parser = createParser({
    onEvent: (message) => {
      pending.push(message);
    },
  });
  for await (const chunk of chunks) {
    parser.feed(chunk);
    for (const message of pending.splice(0)) yield message;
  }
}

/** Outcome of reading one line of newline-delimited JSON. */
export type NdjsonLine =
  | { readonly kind: 'value'; readonly value: unknown }
  | { readonly kind: 'invalid'; readonly line: string };

/**
 * The JSON values of a newline-delimited JSON stream, in order. Blank lines
 * are skipped; a complete line that is not JSON comes as `invalid`; a last
 * line without its newline is kept only when it parses (else the stream was
 * cut off in the middle of it, and it is dropped).
 */
export async function* ndjsonValues(chunks: AsyncIterable<string>): AsyncGenerator<NdjsonLine> {
  let buffer = '';
  for await (const chunk of chunks) {
    buffer += chunk;
    let newline = buffer.indexOf('\n');
    while (newline !== -1) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (line !== '') yield parseLine(line);
      newline = buffer.indexOf('\n');
    }
  }
  const last = buffer.trim();
  if (last === '') return;
  const parsed = parseLine(last);
  if (parsed.kind === 'value') yield parsed;
}

function parseLine(line: string): NdjsonLine {
  try {
    return { kind: 'value', value: JSON.parse(line) as unknown };
  } catch {
    return { kind: 'invalid', line };
  }
}
