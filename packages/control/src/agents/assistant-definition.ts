/**
 * What a stored assistant is: a name and a definition — system prompt and first
 * message (with `{{variable}}` placeholders filled per session), language, provider
 * chains and options, interruption and endpointing settings, tools, a conversation flow
 * (`@prx-voice/session`'s flows; a function's `tool` must be one of these tools), limits — validated
 * here, stored as validated, and turned into a session's request by
 * `assistant-session.ts`.
 */
import { z } from 'zod';
import { phoneHandoffTargetSchema, sipHandoffTargetSchema } from '@prx-voice/event';
import { flowSchema, flowToolIssues } from '@prx-voice/session';
import { httpToolSpecSchema } from './http-tool-spec.js';
import { createMcpToolSpecSchema } from './mcp-spec.js';
import { providerName } from '../sessions/session-schemas.js';

const int = (min: number, max: number) => z.number().int().min(min).max(max);

/** A tool of an assistant: an HTTP endpoint, or an MCP server's tools. */
export const assistantToolSchema = z.discriminatedUnion('type', [
  httpToolSpecSchema,
  // http: URLs are stored; a session reaches one only on a host the operator allows.
  createMcpToolSpecSchema({ allowHttp: true }),
]);

/**
 * Where an assistant's agent may transfer the call (the built-in `transfer_call` tool):
 * destinations by name, each a phone number (E.164) or a SIP URI.
 */
export const transferSettingsSchema = z
  .strictObject({
    destinations: z
      .array(
        z.strictObject({
          name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, {
            error: 'expected a name of letters, digits, "_" or "-" (at most 64)',
          }),
          description: z.string().min(1).max(500).optional(),
          target: z.discriminatedUnion('type', [phoneHandoffTargetSchema, sipHandoffTargetSchema]),
        }),
      )
      .min(1)
      .max(32)
      .superRefine((destinations, ctx) => {
        const seen = new Set<string>();
        destinations.forEach((d, i) => {
          if (seen.has(d.name))
            ctx.addIssue({
              code: 'custom',
              path: [i, 'name'],
              message: `"${d.name}" is listed twice`,
            });
          seen.add(d.name);
        });
      }),
  })
  .describe(
    'Offers the agent the built-in tool transfer_call {destination, reason?}: a handoff to one of these destinations (any other name is a tool error the agent sees).',
  );

/** An assistant's definition, as the API takes and shows it (`name` aside). */
export const assistantDefinitionSchema = z.strictObject({
  description: z.string().max(2_000).optional(),
  system_prompt: z
    .string()
    .max(20_000)
    .optional()
    .describe(
      'The agent’s instructions; `{{name}}` placeholders are filled from the session’s variables.',
    ),
  first_message: z
    .string()
    .min(1)
    .max(2_000)
    .optional()
    .describe('What the assistant says when the session starts (placeholders filled).'),
  language: z
    .string()
    .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, { error: 'expected a BCP 47 tag such as en-US' })
    .optional(),
  providers: z
    .strictObject({ asr: providerName, agent: providerName, tts: providerName, vad: providerName })
    .partial()
    .optional(),
  provider_options: z
    .strictObject({
      asr: z.record(z.string(), z.unknown()),
      agent: z.record(z.string(), z.unknown()),
      tts: z.record(z.string(), z.unknown()),
    })
    .partial()
    .optional(),
  interrupt_enabled: z.boolean().optional(),
  interruption: z
    .strictObject({
      min_speech_ms: int(0, 10_000),
      min_words: int(0, 50),
      false_interruption_timeout_ms: int(0, 30_000),
      resume_false_interruptions: z.boolean(),
      sustained_speech_ms: int(0, 30_000),
      duck_gain: z.number().min(0).max(1),
    })
    .partial()
    .optional(),
  endpointing: z
    .strictObject({
      min_delay_ms: int(0, 10_000),
      max_delay_ms: int(0, 10_000),
      speculative: z.boolean(),
    })
    .partial()
    .optional(),
  tools: z.array(assistantToolSchema).max(64).optional(),
  transfer: transferSettingsSchema.optional(),
  flow: flowSchema
    .optional()
    .describe(
      'A conversation flow: nodes with their messages, functions (a `tool` names one of `tools`), actions and transitions (see docs/flows.md).',
    ),
  limits: z
    .strictObject({ max_duration_s: int(10, 86_400), max_turns: int(1, 10_000) })
    .partial()
    .optional(),
  phone_numbers: z
    .array(
      z
        .string()
        .regex(/^\+[1-9]\d{1,14}$/, { error: 'expected an E.164 number such as +14155550100' }),
    )
    .max(100)
    .refine((n) => new Set(n).size === n.length, 'phone numbers must be unique')
    .optional()
    .describe(
      'Numbers (E.164) whose calls run this assistant, in this tenant, whatever carrier answers them (the called number); a number belongs to one assistant of one tenant across the instance (409 CONFLICT otherwise).',
    ),
  variables: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/), z.string().max(1_000))
    .optional()
    .describe('Default values of the placeholders; a session’s `variables` override them.'),
});

/** An assistant's definition. */
export type AssistantDefinition = z.output<typeof assistantDefinitionSchema>;
/** One of an assistant's tools. */
export type AssistantTool = z.output<typeof assistantToolSchema>;

/** The names of the tools an assistant's tools give the agent (an MCP server's: its allow-list). */
export function toolNames(
  tools: readonly Readonly<Record<string, unknown>>[] | undefined,
): string[] {
  return (tools ?? []).flatMap((t) => {
    if (typeof t['name'] === 'string') return [t['name']];
    const allow = t['allow'];
    return Array.isArray(allow) ? allow.filter((n): n is string => typeof n === 'string') : [];
  });
}

/** Body of `POST /assistants`: a flow's functions may only name the assistant's own tools. */
export const createAssistantBody = assistantDefinitionSchema
  .extend({ name: z.string().trim().min(1).max(200) })
  .superRefine((body, ctx) => {
    if (body.flow === undefined) return;
    for (const issue of flowToolIssues(body.flow, toolNames(body.tools))) {
      ctx.addIssue({ code: 'custom', path: ['flow', ...issue.path], message: issue.message });
    }
  });

/** Body of `PATCH /assistants/{id}`: fields to replace (`null` removes one). */
export const patchAssistantBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    ...Object.fromEntries(
      Object.entries(assistantDefinitionSchema.shape).map(([k, v]) => [
        k,
        (v as z.ZodOptional<z.ZodType>).unwrap().nullable().optional(),
      ]),
    ),
  })
  .describe('Fields to change; `null` removes an optional field. Every change is a new version.');

/** Fills `{{name}}` placeholders from `variables`; unknown ones are left as they are. */
export function fillTemplate(text: string, variables: Readonly<Record<string, string>>): string {
  return text.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]{0,63})\s*\}\}/g, (whole, name: string) =>
    Object.hasOwn(variables, name) ? (variables[name] as string) : whole,
  );
}
