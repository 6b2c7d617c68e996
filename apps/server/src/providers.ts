/**
 * The providers the server offers, by id, with their options from
 * `adapters.providers.<id>` bound in (so each member of a failover chain gets
 * its own model, key and URL). Remote providers read their conventional
 * environment variables for credentials when the config has none.
 */
import {
  createAnthropicAgent,
  createOllamaAgent,
  createOpenAiCompatibleAgent,
  createScriptedAgent,
  defaultProviders,
  scriptedAgentScriptSchema,
} from '@prx-voice/adapter';
import type { AgentProvider, ProviderRegistry } from '@prx-voice/adapter';
import type { Clock, Config } from '@prx-voice/core';

/** An agent whose requests get `defaults` under their own options. */
function withDefaults(
  agent: AgentProvider,
  defaults: Record<string, unknown> | undefined,
): AgentProvider {
  if (defaults === undefined) return agent;
  return {
    id: agent.id,
    run: (request) => agent.run({ ...request, options: { ...defaults, ...request.options } }),
  };
}

/** The registry of every provider this build knows, configured. */
export function serverProviders(
  config: Config,
  clock: Clock,
  env: Readonly<Record<string, string | undefined>> = process.env,
): ProviderRegistry {
  const options = (id: string): Record<string, unknown> | undefined =>
    config.adapters.providers[id];
  const registry = defaultProviders({ clock })
    .registerAgent('openai', () =>
      withDefaults(createOpenAiCompatibleAgent({ clock, env }), options('openai')),
    )
    .registerAgent('anthropic', () =>
      withDefaults(createAnthropicAgent({ clock, env }), options('anthropic')),
    )
    .registerAgent('ollama', () => withDefaults(createOllamaAgent({ clock }), options('ollama')));
  const script = options('scripted');
  if (script !== undefined) {
    const parsed = scriptedAgentScriptSchema.parse(script['script'] ?? script);
    registry.registerAgent('scripted', () => createScriptedAgent({ clock, script: parsed }));
  }
  return registry;
}
