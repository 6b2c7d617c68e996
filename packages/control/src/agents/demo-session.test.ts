import { describe, expect, it } from 'vitest';
import { DEMO_FLOW } from '@prx-voice/adapter';
import { parseFlow } from '@prx-voice/session';
import { demoFlow, withDemoFlow } from './demo-session.js';

const chains = (agent: string[]) => ({ asr: ['mock'], agent });

describe('the demo’s flow for a session', () => {
  it('is valid, two nodes, its functions bound to the demo’s tools', () => {
    const flow = demoFlow();
    expect(flow.initial_node).toBe('info');
    expect(Object.keys(flow.nodes)).toEqual(['info', 'booking']);
    expect(flow.nodes.booking?.functions.map((f) => [f.name, f.tool])).toEqual([
      ['check_availability', 'check_availability'],
      ['book_table', 'book_table'],
      ['drop_request', undefined],
    ]);
    // Without the demo's tools, its functions bound to them are refused.
    const refused = parseFlow(DEMO_FLOW, { tools: [] });
    expect(refused.kind === 'invalid' && refused.issues.map((i) => i.path.join('.'))).toEqual([
      'global_functions.0.tool',
      'nodes.booking.functions.0.tool',
      'nodes.booking.functions.1.tool',
    ]);
  });

  it('is the session’s flow when the demo is its agent and it brought none', () => {
    expect(withDemoFlow(chains(['demo']), undefined)).toBe(demoFlow());
    const own = { ...demoFlow(), initial_node: 'booking' };
    expect(withDemoFlow(chains(['demo']), own)).toBe(own);
    // A fallback demo does not impose its flow on the primary agent.
    expect(withDemoFlow(chains(['mock', 'demo']), undefined)).toBeUndefined();
  });
});
