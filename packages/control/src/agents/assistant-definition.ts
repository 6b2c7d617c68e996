/**
 * What a stored assistant is: a name and a definition — system prompt and first
 * message (with `{{variable}}` placeholders filled per session), language, provider
 * chains and options, interruption and endpointing settings, tools, limits — validated
 * here, stored as validated, and turned into a session's request by
 * `assistant-session.ts`.
 */
import { z } from 'zod';
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

/** How a stored secret is shown: never its value. */
export const SECRET_MASK = '********';

/** An assistant's tools as the API shows them: every `{secret}` header value masked. */
export function maskedTools(
  tools: readonly AssistantTool[] | undefined,
): AssistantTool[] | undefined {
  return tools?.map((tool) => {
    if (tool.type !== 'http' || tool.http.headers === undefined) return tool;
    const headers = Object.fromEntries(
      Object.entries(tool.http.headers).map(([k, v]) => [
        k,
        typeof v === 'string' ? v : { secret: SECRET_MASK },
      ]),
    );
    return { ...tool, http: { ...tool.http, headers } };
  });
}

/**
 * New tools with masked secrets given back (a client that read, edited and saved
 * them) take the stored secret of the same tool and header.
 */
export function keepSecrets(
  next: readonly AssistantTool[] | undefined,
  stored: readonly AssistantTool[] | undefined,
): AssistantTool[] | undefined {
  return next?.map((tool) => {
    if (tool.type !== 'http' || tool.http.headers === undefined) return tool;
    const before = stored?.find((t) => t.type === 'http' && t.name === tool.name);
    const old = before?.type === 'http' ? before.http.headers : undefined;
    const headers = Object.fromEntries(
      Object.entries(tool.http.headers).map(([k, v]) => {
        const kept = old?.[k];
        return [
          k,
          typeof v !== 'string' && v.secret === SECRET_MASK && kept !== undefined ? kept : v,
        ];
      }),
    );
    return { ...tool, http: { ...tool.http, headers } };
  });
}

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
  limits: z
    .strictObject({ max_duration_s: int(10, 86_400), max_turns: int(1, 10_000) })
    .partial()
    .optional(),
  variables: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/), z.string().max(1_000))
    .optional()
    .describe('Default values of the placeholders; a session’s `variables` override them.'),
});

/** An assistant's definition. */
export type AssistantDefinition = z.output<typeof assistantDefinitionSchema>;
/** One of an assistant's tools. */
export type AssistantTool = z.output<typeof assistantToolSchema>;

/** Body of `POST /assistants`. */
export const createAssistantBody = assistantDefinitionSchema.extend({
  name: z.string().trim().min(1).max(200),
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
