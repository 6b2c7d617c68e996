/**
 * `@prx-voice/adapter` — the provider interfaces of PRX Voice (streaming ASR,
 * agent, TTS, VAD), the deterministic `mock` providers, the energy and Silero
 * VADs behind one state machine, and the provider registry. Scriptable fakes
 * for tests are in `@prx-voice/adapter/testing`.
 *
 * @example
 * import { defaultProviders } from '@prx-voice/adapter';
 * import { systemClock } from '@prx-voice/core';
 *
 * const providers = defaultProviders({ clock: systemClock });
 * const controller = new AbortController();
 * const run = providers.agent('mock').run({
 *   conversation: [{ role: 'user', content: 'hello' }],
 *   tools: [],
 *   signal: controller.signal,
 * });
 * for await (const event of run) if (event.type === 'token') process.stdout.write(event.text);
 * // You said: hello
 *
 * @packageDocumentation
 */
export { canFallback, providerError } from './interfaces.js';
export { configuredProviders } from './configured-providers.js';
export { detectAutoProviders, VAD_PROBE_TIMEOUT_MS } from './auto-providers.js';
export type { AutoProviders } from './auto-providers.js';
export type {
  AgentEvent,
  AgentProvider,
  AgentRunRequest,
  AsrEvent,
  AsrOpenOptions,
  AsrProvider,
  AsrStream,
  AsrWord,
  ConversationMessage,
  HealthCheck,
  HealthProbe,
  HealthReport,
  OptionsValidator,
  ProviderErrorOptions,
  ProviderOptions,
  ToolCall,
  ToolDefinition,
  TtsEvent,
  TtsProvider,
  TtsRequest,
  VadEvent,
  VadOptions,
  VadProvider,
  VadState,
  VadStream,
} from './interfaces.js';
export { createMockAgent, mockAgentReply, mockAgentToolCall } from './mock/mock-agent.js';
export type { MockAgentDeps } from './mock/mock-agent.js';
export { createMockAsr } from './mock/mock-asr.js';
export { createDemoAgent, DEMO_AGENT } from './providers/demo/demo-agent.js';
export type { DemoAgentDeps } from './providers/demo/demo-agent.js';
export {
  DEMO_FLOW,
  DEMO_FUNCTIONS,
  DEMO_NODES,
  DEMO_OPENING_HOURS,
  DEMO_RESTAURANT,
  DEMO_TOOL_PARAMETERS,
  DEMO_TOOLS,
} from './providers/demo/demo-contract.js';
export type {
  DemoAvailability,
  DemoBooking,
  DemoCancellation,
  DemoFlowFunction,
  DemoUnavailableReason,
} from './providers/demo/demo-contract.js';
export { demoNodeOf, demoState, demoTurn } from './providers/demo/demo-dialogue.js';
export type { DemoNode, DemoState, DemoTurn } from './providers/demo/demo-dialogue.js';
export { demoGrammar } from './providers/demo/demo-grammar.js';
export { matchDemoIntent, normaliseUtterance } from './providers/demo/demo-intents.js';
export type { DemoIntentMatch, DemoSlots } from './providers/demo/demo-intents.js';
export type { DemoIntentName } from './providers/demo/demo-phrases.js';
export { createMockTts, MOCK_TTS_FREQUENCY_HZ, MOCK_TTS_MS_PER_CHAR } from './mock/mock-tts.js';
export { createVadStateMachine } from './vad/vad-state-machine.js';
export type { VadStateMachine, VadStateMachineOptions } from './vad/vad-state-machine.js';
export { createEnergyVad, energyFrameScore } from './vad/energy-vad.js';
export type { EnergyFrame, EnergyVadOptions } from './vad/energy-vad.js';
export { createSileroVad } from './vad/silero-vad.js';
export type { SileroVadOptions, SileroVadProvider, SileroVadStream } from './vad/silero-vad.js';
export { sileroModelPath } from './vad/silero-runner.js';
export { createProviderRegistry } from './registry.js';
export type { ProviderFactory, ProviderRegistry } from './registry.js';
export { defaultProviders } from './default-providers.js';
export type { DefaultProvidersOptions } from './default-providers.js';
export { createCircuitBreaker } from './failover/circuit-breaker.js';
export type {
  BreakerState,
  CircuitBreaker,
  CircuitBreakerOptions,
} from './failover/circuit-breaker.js';
export { findExecutable, probeExecutable, probeHttp, safeProbe } from './providers/health.js';
export type { HttpProbe } from './providers/health.js';
export {
  continuationRequest,
  createFailoverAgent,
  fallbackReason,
} from './failover/failover-agent.js';
export type { FailoverMember, FallbackNotice } from './failover/failover-agent.js';
export { createFailoverAsr } from './failover/failover-asr.js';
export {
  createFailoverTts,
  ESTIMATED_MS_PER_CHAR,
  unspokenRemainder,
} from './failover/failover-tts.js';
export { createOpenAiCompatibleAgent } from './providers/agents/openai-compatible-agent.js';
export type { OpenAiCompatibleAgentDeps } from './providers/agents/openai-compatible-agent.js';
export { createAnthropicAgent } from './providers/agents/anthropic-agent.js';
export type { AnthropicAgentDeps } from './providers/agents/anthropic-agent.js';
export { createOllamaAgent } from './providers/agents/ollama-agent.js';
export type { OllamaAgentDeps } from './providers/agents/ollama-agent.js';
export { createScriptedAgent } from './providers/agents/scripted-agent.js';
export type { ScriptedAgentDeps } from './providers/agents/scripted-agent.js';
export { scriptedAgentScriptSchema } from './providers/agents/scripted-script.js';
export type { ScriptedAgentScript } from './providers/agents/scripted-script.js';
export type { AgentEnv, RemoteAgentDeps } from './providers/agents/remote-agent-common.js';
export { createDeepgramAsr } from './providers/speech/deepgram-asr.js';
export type { DeepgramAsrDeps } from './providers/speech/deepgram-asr.js';
export { createOpenAiTranscriptionAsr } from './providers/speech/openai-transcription-asr.js';
export type { OpenAiTranscriptionAsrDeps } from './providers/speech/openai-transcription-asr.js';
export { createDeepgramTts } from './providers/speech/deepgram-tts.js';
export type { DeepgramTtsDeps } from './providers/speech/deepgram-tts.js';
export { createOpenAiTts } from './providers/speech/openai-tts.js';
export type { OpenAiTtsDeps } from './providers/speech/openai-tts.js';
export type { SpeechEnvironment } from './providers/speech/credentials.js';
export type { FetchFunction } from './providers/speech/http-pcm-tts.js';
export type { DeepgramWebSocketConstructor } from './providers/speech/deepgram-asr-stream.js';
export { createAzureTts } from './providers/speech/azure-tts.js';
export type { AzureTtsDeps } from './providers/speech/azure-tts.js';
export { createElevenLabsTts } from './providers/speech/elevenlabs-tts.js';
export type { ElevenLabsTtsDeps } from './providers/speech/elevenlabs-tts.js';
export { createCartesiaTts } from './providers/speech/cartesia-tts.js';
export type { CartesiaTtsDeps } from './providers/speech/cartesia-tts.js';
export type { CartesiaWebSocketConstructor } from './providers/speech/cartesia-synthesis.js';
export { createEspeakTts } from './providers/local/espeak-tts.js';
export type { EspeakTtsDeps } from './providers/local/espeak-tts.js';
export { createPocketsphinxAsr } from './providers/local/pocketsphinx-asr.js';
export type { PocketsphinxAsrDeps } from './providers/local/pocketsphinx-asr.js';
export type { LocalProcessInfo, ProcessExit } from './providers/local/local-process.js';
