/**
 * The demo restaurant behind the built-in `demo` assistant: its tools
 * `check_availability`, `book_table` and `cancel_booking`, in-process and
 * deterministic. A fixed table plan (eight tables, some already taken on Friday
 * and Saturday evenings), the opening hours of the demo's contract, and the
 * bookings made in this session; a booking's reference is derived from what
 * was booked. `today` and `tomorrow` are resolved on the injected clock (UTC).
 */
import { DEMO_OPENING_HOURS, DEMO_TOOL_PARAMETERS, DEMO_TOOLS } from '@prx-voice/adapter';
import type {
  DemoAvailability,
  DemoBooking,
  DemoCancellation,
  DemoUnavailableReason,
} from '@prx-voice/adapter';
import type { Clock } from '@prx-voice/core';
import type { ToolRegistration } from '@prx-voice/session';
import { VoiceError } from '@prx-voice/types';

/** Seats of each table, by table number. */
const TABLES = [2, 2, 2, 4, 4, 4, 6, 8] as const;
const LARGEST = Math.max(...TABLES);
const WEEKDAYS = [
  'sunday',
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
] as const;
const SLOT_MINUTES = 15;
const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

const minutesOf = (time: string): number => {
  const [h = 0, m = 0] = time.split(':').map(Number);
  return h * 60 + m;
};
const timeOf = (minutes: number): string =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/**
 * Tables already taken before any session books: Saturday 7–8:30 pm every
 * table, Friday 7–8:30 pm every table for two and four.
 */
function prebooked(weekday: string, minutes: number): (seats: number) => boolean {
  const evening = minutes >= 19 * 60 && minutes <= 20 * 60 + 30;
  if (weekday === 'saturday' && evening) return () => true;
  if (weekday === 'friday' && evening) return (seats) => seats <= 4;
  return () => false;
}

/** A table suits a party that fills it but for two seats at most. */
const suits = (seats: number, party: number): boolean => seats >= party && seats <= party + 2;

interface Booking {
  readonly weekday: string;
  readonly time: string;
  readonly table: number;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** `fn`'s value, or what it throws, as a promise. */
function settle<T>(fn: () => T): Promise<T> {
  return new Promise((resolve) => resolve(fn()));
}

/** The demo restaurant's tools for one session (each session has its own bookings). */
export function demoTools(opts: { readonly clock: Pick<Clock, 'now'> }): ToolRegistration[] {
  const bookings = new Map<string, Booking>();

  function weekdayOf(day: string): string {
    if (day !== 'today' && day !== 'tomorrow') return day;
    const index = new Date(opts.clock.now()).getUTCDay() + (day === 'tomorrow' ? 1 : 0);
    return WEEKDAYS[index % 7] ?? 'sunday';
  }

  function freeTable(weekday: string, minutes: number, party: number): number | undefined {
    const taken = prebooked(weekday, minutes);
    const booked = new Set(
      [...bookings.values()]
        .filter((b) => b.weekday === weekday && minutesOf(b.time) === minutes)
        .map((b) => b.table),
    );
    // The smallest suitable table (the plan lists them smallest first).
    const index = TABLES.findIndex(
      (seats, i) => suits(seats, party) && !taken(seats) && !booked.has(i),
    );
    return index < 0 ? undefined : index;
  }

  function availability(args: Record<string, unknown>): DemoAvailability & { table?: number } {
    const party = args['party_size'] as number;
    const time = String(args['time']);
    const match = TIME.exec(time);
    if (match === null || Number(match[2]) % SLOT_MINUTES !== 0) {
      throw new VoiceError('VALIDATION_FAILED', {
        message: `time ${JSON.stringify(time)}: expected HH:MM on the quarter hour`,
        details: { issues: [{ path: '/time', message: 'expected HH:MM on the quarter hour' }] },
      });
    }
    const weekday = weekdayOf(String(args['day']));
    const minutes = minutesOf(time);
    const base = { party_size: party, weekday, time };
    const no = (reason: DemoUnavailableReason, alternatives?: string[]) => ({
      ...base,
      available: false,
      reason,
      ...(alternatives === undefined ? {} : { alternatives }),
    });
    if ((DEMO_OPENING_HOURS.closedOn as readonly string[]).includes(weekday)) return no('closed');
    const first = minutesOf(DEMO_OPENING_HOURS.opens);
    const last = minutesOf(DEMO_OPENING_HOURS.lastSeating);
    if (minutes < first || minutes > last) return no('outside_hours');
    if (party > LARGEST) return no('too_large');
    const table = freeTable(weekday, minutes, party);
    if (table !== undefined) return { ...base, available: true, table };
    // The nearest free times that day, earlier first on a tie, half an hour apart.
    const alternatives: string[] = [];
    for (let step = 30; step <= last - first && alternatives.length < 2; step += 30) {
      for (const at of [minutes - step, minutes + step]) {
        if (at >= first && at <= last && freeTable(weekday, at, party) !== undefined) {
          if (alternatives.length < 2) alternatives.push(timeOf(at));
        }
      }
    }
    return no('full', alternatives.sort());
  }

  const parameters = (name: keyof typeof DEMO_TOOL_PARAMETERS) =>
    DEMO_TOOL_PARAMETERS[name] as unknown as Record<string, unknown>;

  return [
    {
      name: DEMO_TOOLS.checkAvailability,
      description: 'Whether the restaurant has a table for a party on a day at a time.',
      parameters: parameters(DEMO_TOOLS.checkAvailability),
      handler: (args) =>
        settle(() => {
          const { table: _table, ...result } = availability(args);
          return result satisfies DemoAvailability;
        }),
    },
    {
      name: DEMO_TOOLS.bookTable,
      description: 'Books a table for a party on a day at a time under a name.',
      parameters: parameters(DEMO_TOOLS.bookTable),
      handler: (args) =>
        settle(() => {
          const name = String(args['name']).trim();
          const { table, ...found } = availability(args);
          if (table === undefined) return { ...found, booked: false, name } satisfies DemoBooking;
          const key = `${found.weekday}|${found.time}|${found.party_size}|${name.toLowerCase()}`;
          let reference = '';
          for (let salt = bookings.size; reference === '' || bookings.has(reference); salt++) {
            reference = `RB${String(1000 + (fnv1a(`${key}|${salt}`) % 9000))}`;
          }
          bookings.set(reference, { weekday: found.weekday, time: found.time, table });
          return { ...found, booked: true, name, reference } satisfies DemoBooking;
        }),
    },
    {
      name: DEMO_TOOLS.cancelBooking,
      description: 'Cancels a booking made in this conversation, by its reference.',
      parameters: parameters(DEMO_TOOLS.cancelBooking),
      handler: (args) =>
        settle(() => {
          const reference = String(args['reference']).trim().toUpperCase();
          return { cancelled: bookings.delete(reference), reference } satisfies DemoCancellation;
        }),
    },
  ];
}
