/**
 * The built-in `transfer_call` tool: offered to the agent of a session whose assistant
 * lists transfer destinations (`transfer.destinations`, each a name, a description
 * and a phone or SIP target). The agent calls `transfer_call {destination, reason?}`
 * with one of those names; the session hands off to its target (trigger `tool`). A name
 * not in the list, or a session that cannot hand off now, is a tool error the agent sees.
 * On success its result `{transferring: true, destination}` goes with the handoff
 * request, so it is reported (`agent.tool_result`) and kept in the conversation
 * though the handoff cancels the run the call was part of.
 */
import type { HandoffTarget, ToolRegistration, ToolResultInput } from '@prx-voice/session';
import { VoiceError } from '@prx-voice/types';
import type { TransferSettings } from '../sessions/session-manager-types.js';

/** The tool's name. */
export const TRANSFER_TOOL_NAME = 'transfer_call';

/** What the tool does with a chosen destination. */
export type RequestHandoff = (request: {
  readonly target: HandoffTarget;
  readonly reason?: string;
  /** The tool call's result, reported before the handoff cancels the run. */
  readonly result?: ToolResultInput;
}) => { readonly accepted: true } | { readonly accepted: false; readonly state: string };

/**
 * The `transfer_call` tool over `transfer`'s destinations.
 *
 * @example
 * registry.register(transferTool(assistant.transfer, (r) => handOff(r)));
 */
export function transferTool(
  transfer: TransferSettings,
  requestHandoff: RequestHandoff,
): ToolRegistration {
  const names = transfer.destinations.map((d) => d.name);
  const listed = transfer.destinations
    .map((d) => (d.description === undefined ? d.name : `${d.name} (${d.description})`))
    .join('; ');
  return {
    name: TRANSFER_TOOL_NAME,
    description: `Transfers the call to a person and ends this conversation. Destinations: ${listed}.`,
    parameters: {
      type: 'object',
      properties: {
        destination: {
          type: 'string',
          enum: names,
          description: 'Where to transfer the call: one of the destinations listed.',
        },
        reason: {
          type: 'string',
          description: 'Why the caller is being transferred, for the person who answers.',
        },
      },
      required: ['destination'],
      additionalProperties: false,
    },
    handler: (args, ctx) => {
      const name = String(args['destination']);
      const destination = transfer.destinations.find((d) => d.name === name);
      if (destination === undefined) {
        return Promise.reject(
          new VoiceError('VALIDATION_FAILED', {
            message: `Unknown transfer destination "${name}"; the destinations are: ${names.join(', ')}.`,
            details: { tool: TRANSFER_TOOL_NAME, destination: name, available: names },
          }),
        );
      }
      const reason = typeof args['reason'] === 'string' ? args['reason'].trim() : '';
      const result = { transferring: true, destination: name };
      const outcome = requestHandoff({
        target: destination.target,
        ...(reason === '' ? {} : { reason: reason.slice(0, 500) }),
        result: {
          callId: ctx.callId,
          name: TRANSFER_TOOL_NAME,
          ok: true,
          result,
          content: JSON.stringify(result),
          durationMs: 0,
        },
      });
      if (!outcome.accepted) {
        return Promise.reject(
          new VoiceError('SESSION_STATE_CONFLICT', {
            message: `The call cannot be transferred now (the session is ${outcome.state}).`,
            details: { tool: TRANSFER_TOOL_NAME, state: outcome.state },
          }),
        );
      }
      return Promise.resolve(result);
    },
  };
}
