/**
 * What the demo assistant, the demo restaurant's tools and the server agree on:
 * the tools' names, their JSON-Schema parameters, the shapes of their results,
 * the opening hours, and the demo's conversation flow (two nodes, `info` and
 * `booking`). The agent (here) produces the turns; the server registers the
 * tools' implementation and runs the flow for sessions that run the demo
 * (`@prx-voice/control`), its flows engine deciding the node, the functions
 * offered and the transitions.
 */

/** The names of the demo's tools. */
export const DEMO_TOOLS = {
  checkAvailability: 'check_availability',
  bookTable: 'book_table',
  cancelBooking: 'cancel_booking',
} as const;

const DETAILS = {
  party_size: { type: 'integer', minimum: 1, maximum: 50, description: 'How many people.' },
  day: {
    type: 'string',
    enum: [
      'today',
      'tomorrow',
      'monday',
      'tuesday',
      'wednesday',
      'thursday',
      'friday',
      'saturday',
      'sunday',
    ],
    description: 'The day: today, tomorrow or a weekday (lower case).',
  },
  time: {
    type: 'string',
    minLength: 5,
    maxLength: 5,
    description: 'The time, 24-hour HH:MM (e.g. 19:30).',
  },
} as const;

/** The JSON-Schema parameters of each demo tool. */
export const DEMO_TOOL_PARAMETERS = {
  [DEMO_TOOLS.checkAvailability]: {
    type: 'object',
    properties: DETAILS,
    required: ['party_size', 'day', 'time'],
    additionalProperties: false,
  },
  [DEMO_TOOLS.bookTable]: {
    type: 'object',
    properties: {
      ...DETAILS,
      name: { type: 'string', minLength: 1, maxLength: 60, description: 'The guest’s name.' },
    },
    required: ['party_size', 'day', 'time', 'name'],
    additionalProperties: false,
  },
  [DEMO_TOOLS.cancelBooking]: {
    type: 'object',
    properties: {
      reference: { type: 'string', minLength: 1, maxLength: 20, description: 'The reference.' },
    },
    required: ['reference'],
    additionalProperties: false,
  },
} as const;

/** Why a table cannot be had. */
export type DemoUnavailableReason = 'closed' | 'outside_hours' | 'too_large' | 'full';

/** The result of `check_availability`. */
export interface DemoAvailability {
  readonly available: boolean;
  readonly party_size: number;
  /** The weekday it falls on (today and tomorrow resolved). */
  readonly weekday: string;
  readonly time: string;
  readonly reason?: DemoUnavailableReason;
  /** Nearby free times that day (HH:MM), when it is full. */
  readonly alternatives?: readonly string[];
}

/** The result of `book_table`. */
export interface DemoBooking extends DemoAvailability {
  readonly booked: boolean;
  readonly name: string;
  /** The booking's reference, when booked. */
  readonly reference?: string;
}

/** The result of `cancel_booking`. */
export interface DemoCancellation {
  readonly cancelled: boolean;
  readonly reference: string;
}

/** When the demo restaurant is open: every day but Monday, noon to 10 pm (last table at 9:30 pm). */
export const DEMO_OPENING_HOURS = {
  closedOn: ['monday'],
  opens: '12:00',
  closes: '22:00',
  lastSeating: '21:30',
} as const;

/** The demo restaurant's name. */
export const DEMO_RESTAURANT = 'the Riverside Bistro';

/** The names of the demo flow's own functions (no tool: the flows engine answers them). */
export const DEMO_FUNCTIONS = {
  /** `info` → `booking`: the caller asked for a table; its arguments are the details given. */
  startBooking: 'start_booking',
  /** `booking` → `info`: the caller gave up the request in progress. */
  dropRequest: 'drop_request',
} as const;

/** The demo flow's nodes. */
export const DEMO_NODES = { info: 'info', booking: 'booking' } as const;

/** A function of the demo flow, as JSON. */
export interface DemoFlowFunction extends Readonly<Record<string, unknown>> {
  readonly name: string;
  readonly description: string;
}

const fn = (
  name: string,
  description: string,
  more: Readonly<Record<string, unknown>> = {},
): DemoFlowFunction => ({ ...more, name, description });

/**
 * The demo's conversation flow, as the JSON of an assistant's `flow` (docs/flows.md):
 * `info` (greeting, opening hours, help) and `booking` (collect the details, check
 * the table, book it). `start_booking` enters `booking`; there `check_availability`
 * and `book_table` run the restaurant's tools, and `book_table`'s result chooses the
 * way back (`booked: true` → `info`); `drop_request` leaves a request unfinished;
 * `cancel_booking` is offered in every node.
 */
export const DEMO_FLOW = {
  initial_node: DEMO_NODES.info,
  global_functions: [
    fn(DEMO_TOOLS.cancelBooking, 'Cancel a booking made in this conversation, by its reference.', {
      parameters: DEMO_TOOL_PARAMETERS[DEMO_TOOLS.cancelBooking],
      tool: DEMO_TOOLS.cancelBooking,
    }),
  ],
  nodes: {
    [DEMO_NODES.info]: {
      role_messages: [
        `You are the host of ${DEMO_RESTAURANT}: you tell callers the opening hours and book tables.`,
      ],
      task_messages: [
        'Greet the caller and answer questions about the opening hours. When the caller asks for a table, call start_booking with the details already given.',
      ],
      functions: [
        fn(DEMO_FUNCTIONS.startBooking, 'Start booking a table, with the details given so far.', {
          parameters: {
            type: 'object',
            properties: DETAILS,
            additionalProperties: false,
          },
          transition_to: DEMO_NODES.booking,
        }),
      ],
    },
    [DEMO_NODES.booking]: {
      task_messages: [
        'Ask for the party size, the day and the time one at a time, check the table with check_availability, ask the name, then book it with book_table. If the caller gives up, call drop_request.',
      ],
      functions: [
        fn(DEMO_TOOLS.checkAvailability, 'Check whether a table is free.', {
          parameters: DEMO_TOOL_PARAMETERS[DEMO_TOOLS.checkAvailability],
          tool: DEMO_TOOLS.checkAvailability,
        }),
        fn(DEMO_TOOLS.bookTable, 'Book the table under the caller’s name.', {
          parameters: DEMO_TOOL_PARAMETERS[DEMO_TOOLS.bookTable],
          tool: DEMO_TOOLS.bookTable,
          transition_on: { field: 'booked', cases: { true: DEMO_NODES.info } },
        }),
        fn(DEMO_FUNCTIONS.dropRequest, 'Drop the booking request in progress.', {
          transition_to: DEMO_NODES.info,
        }),
      ],
    },
  },
} as const;
