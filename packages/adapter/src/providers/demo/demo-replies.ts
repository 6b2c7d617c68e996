/** What the demo assistant says: the fixed lines and the sentences made from tool results. */
import { DEMO_OPENING_HOURS, DEMO_RESTAURANT } from './demo-contract.js';
import type { DemoAvailability, DemoBooking } from './demo-contract.js';

/** `19:30` → `7:30 pm`, `12:00` → `noon`. */
export function spokenTime(time: string): string {
  const [h = 0, m = 0] = time.split(':').map(Number);
  if (h === 12 && m === 0) return 'noon';
  const hour = h % 12 === 0 ? 12 : h % 12;
  return `${hour}${m === 0 ? '' : `:${String(m).padStart(2, '0')}`} ${h < 12 ? 'am' : 'pm'}`;
}

/** `friday` → `Friday`. */
export function spokenDay(day: string): string {
  return day.charAt(0).toUpperCase() + day.slice(1);
}

const when = (r: { readonly weekday: string; readonly time: string }): string =>
  `on ${spokenDay(r.weekday)} at ${spokenTime(r.time)}`;

/** The lines that need no tool. */
export const DEMO_LINES = {
  greeting: `Hello, and welcome to ${DEMO_RESTAURANT}. I can tell you our opening hours, check whether a table is free, and book it for you. How can I help?`,
  help: 'I can tell you our opening hours, check whether a table is free, and book it. For example, ask: is there a table for two on Friday at seven?',
  unknown:
    'Sorry, I did not get that. I can tell you our opening hours, check whether a table is free, and book it. For example, ask: is there a table for two on Friday at seven?',
  hours: `We are open from ${spokenTime(DEMO_OPENING_HOURS.opens)} to ${spokenTime(DEMO_OPENING_HOURS.closes)}, every day except Monday.`,
  goodbye: 'You are welcome. Goodbye!',
  askParty: 'For how many people?',
  askDay: 'For which day?',
  askTime: 'At what time?',
  askName: 'What name shall I put the booking under?',
  dropped: 'All right, I have dropped that request. Is there anything else?',
  nothingToCancel: 'There is nothing to cancel. Is there anything else I can do?',
  toolFailed: 'Sorry, the booking system did not answer. Please try again in a moment.',
} as const;

/** The opening hours on one day. */
export function hoursOn(day: string): string {
  if ((DEMO_OPENING_HOURS.closedOn as readonly string[]).includes(day)) {
    return `We are closed on ${spokenDay(day)}s. ${DEMO_LINES.hours}`;
  }
  if (day === 'today' || day === 'tomorrow') return DEMO_LINES.hours;
  return `On ${spokenDay(day)} we are open from ${spokenTime(DEMO_OPENING_HOURS.opens)} to ${spokenTime(DEMO_OPENING_HOURS.closes)}.`;
}

/** Why a table cannot be had, and what to do instead. */
export function unavailable(r: DemoAvailability): string {
  switch (r.reason) {
    case 'closed':
      return `Sorry, we are closed on ${spokenDay(r.weekday)}s. Which other day would suit you?`;
    case 'outside_hours':
      return `Sorry, we seat guests from ${spokenTime(DEMO_OPENING_HOURS.opens)} to ${spokenTime(DEMO_OPENING_HOURS.lastSeating)}. What time would suit you?`;
    case 'too_large':
      return `Sorry, our largest table seats 8. For a bigger party please call us. For how many people shall I look?`;
    case 'full':
    default: {
      const alternatives = r.alternatives ?? [];
      const offer =
        alternatives.length === 0
          ? 'Which other day would suit you?'
          : `I could offer ${alternatives.map(spokenTime).join(' or ')}. What time would suit you?`;
      return `Sorry, we have no table for ${r.party_size} ${when(r)}. ${offer}`;
    }
  }
}

/** A table is free. */
export function available(r: DemoAvailability, name: string | undefined): string {
  const free = `Good news: we have a table for ${r.party_size} ${when(r)}.`;
  return name === undefined
    ? `${free} ${DEMO_LINES.askName}`
    : `${free} Shall I book it for ${name}?`;
}

/** A booking was made. */
export function booked(r: DemoBooking): string {
  return `Done: a table for ${r.party_size} ${when(r)}, under the name ${r.name}. Your reference is ${r.reference ?? ''}. Is there anything else?`;
}

/** A booking was cancelled, or not found. */
export function cancelled(reference: string, ok: boolean): string {
  return ok
    ? `Your booking ${reference} is cancelled. Is there anything else?`
    : `I could not find the booking ${reference}.`;
}
