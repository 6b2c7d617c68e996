import { SimulatedClock } from '@prx-voice/core/testing';
import { VoiceError } from '@prx-voice/types';
import { describe, expect, it } from 'vitest';
import type { AgentProvider, AsrProvider, TtsProvider } from './interfaces.js';
import { createMockAgent } from './mock/mock-agent.js';
import { createMockAsr } from './mock/mock-asr.js';
import { createAnthropicAgent } from './providers/agents/anthropic-agent.js';
import { createOllamaAgent } from './providers/agents/ollama-agent.js';
import { createOpenAiCompatibleAgent } from './providers/agents/openai-compatible-agent.js';
import { createScriptedAgent } from './providers/agents/scripted-agent.js';
import { createEspeakTts } from './providers/local/espeak-tts.js';
import { createPocketsphinxAsr } from './providers/local/pocketsphinx-asr.js';
import { createAzureTts } from './providers/speech/azure-tts.js';
import { createCartesiaTts } from './providers/speech/cartesia-tts.js';
import { createDeepgramAsr } from './providers/speech/deepgram-asr.js';
import { createDeepgramTts } from './providers/speech/deepgram-tts.js';
import { createElevenLabsTts } from './providers/speech/elevenlabs-tts.js';
import { createOpenAiTranscriptionAsr } from './providers/speech/openai-transcription-asr.js';
import { createOpenAiTts } from './providers/speech/openai-tts.js';

const clock = new SimulatedClock();
const env = {};
const script = { intents: [{ name: 'hi', patterns: ['hello'], reply: 'Hi.' }], fallback: 'Sorry.' };

type Provider = AsrProvider | AgentProvider | TtsProvider;

/** Each provider that takes options, a valid set and an invalid one with the option it names. */
const CASES: readonly (readonly [
  Provider,
  Record<string, unknown>,
  Record<string, unknown>,
  string,
])[] = [
  [createMockAsr(), { transcript: ['a', 'b'] }, { partial_interval_ms: -1 }, 'partial_interval_ms'],
  [createMockAgent({ clock }), { token_delay_ms: 5 }, { token_delay_ms: 'fast' }, 'token_delay_ms'],
  [createScriptedAgent({ clock, script }), {}, { token_delay_ms: -5 }, 'token_delay_ms'],
  [
    createOpenAiCompatibleAgent({ clock, env }),
    { model: 'm' },
    { model: 'm', temperature: 5 },
    'temperature',
  ],
  [
    createAnthropicAgent({ clock, env }),
    { model: 'm' },
    { model: 'm', max_tokens: 0 },
    'max_tokens',
  ],
  [createOllamaAgent({ clock }), { model: 'm' }, {}, 'model'],
  [createDeepgramAsr({ clock, env }), { model: 'nova-3' }, { endpointing_ms: 1 }, 'endpointing_ms'],
  [createOpenAiTranscriptionAsr({ clock, env }), {}, { base_url: 'not a url' }, 'base_url'],
  [createPocketsphinxAsr(), { grammar: '#JSGF V1.0;' }, { max_restarts: 1000 }, 'max_restarts'],
  [createDeepgramTts({ clock, env }), {}, { model: '' }, 'model'],
  [createOpenAiTts({ clock, env }), { voice: 'alloy' }, { voice: 7 }, 'voice'],
  [createAzureTts({ clock, env }), { rate: '+10%' }, { region: 'West Europe!' }, 'region'],
  [createElevenLabsTts({ clock, env }), { speed: 1 }, { speed: 3 }, 'speed'],
  [createCartesiaTts({ clock, env }), {}, { sample_rate: 12345 }, 'sample_rate'],
  [createEspeakTts(), { rate: 200 }, { pitch: 120 }, 'pitch'],
];

describe('validateOptions', () => {
  const kind = (p: Provider): string => ('open' in p ? 'ASR' : 'run' in p ? 'agent' : 'TTS');
  it.each(CASES.map((c) => [`${kind(c[0])} ${c[0].id}`, ...c] as const))(
    '%s: accepts valid options and refuses an invalid one with VALIDATION_FAILED naming it',
    (_id, provider, valid, invalid, option) => {
      const validate = provider.validateOptions;
      expect(validate).toBeTypeOf('function');
      expect(() => validate?.(valid)).not.toThrow();
      let error: unknown;
      try {
        validate?.(invalid);
      } catch (err) {
        error = err;
      }
      expect(VoiceError.is(error)).toBe(true);
      expect(error).toMatchObject({
        code: 'VALIDATION_FAILED',
        details: { provider: provider.id, fallback: false },
      });
      expect((error as VoiceError).message).toContain(option);
    },
  );

  it('refuses options that are not an object', () => {
    expect(() => createMockAgent({ clock }).validateOptions?.('fast')).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }) as Error,
    );
  });
});
