import { describe, expect, it } from 'vitest';
import { contentText, toolOutput, TRUNCATION_MARKER, truncateText } from './mcp-result.js';

describe('truncateText', () => {
  it('leaves short text alone and cuts long text to the limit with a marker', () => {
    expect(truncateText('short', 100)).toBe('short');
    const cut = truncateText('y'.repeat(1_000), 100);
    expect(cut.length).toBeLessThanOrEqual(100);
    expect(cut.startsWith('yyy')).toBe(true);
    expect(cut.endsWith(`${TRUNCATION_MARKER} 1000 characters in all]`)).toBe(true);
  });

  it('never splits a surrogate pair', () => {
    const cut = truncateText('😀'.repeat(500), 100);
    const body = cut.slice(0, cut.indexOf('\n'));
    expect(body).toBe('😀'.repeat(body.length / 2));
  });
});

describe('toolOutput', () => {
  it('joins content items, describing media', () => {
    expect(
      contentText({
        content: [
          { type: 'text', text: 'one' },
          { type: 'image', data: 'AAAA', mimeType: 'image/png' },
          { type: 'audio', data: 'AA', mimeType: 'audio/wav' },
          { type: 'resource', resource: { uri: 'file:///a.txt', text: 'inline' } },
          {
            type: 'resource',
            resource: { uri: 'file:///b.bin', blob: 'AA', mimeType: 'application/octet-stream' },
          },
          { type: 'resource_link', uri: 'file:///c', name: 'c' },
        ],
      }),
    ).toBe(
      [
        'one',
        '[image: image/png, 4 base64 characters]',
        '[audio: audio/wav, 2 base64 characters]',
        'inline',
        '[resource: file:///b.bin, application/octet-stream]',
        '[resource link: file:///c (c)]',
      ].join('\n'),
    );
  });

  it('prefers structured content, cut as JSON text when it does not fit', () => {
    const structuredContent = { rows: Array.from({ length: 50 }, (_, i) => ({ i })) };
    const result = { content: [{ type: 'text' as const, text: 'ignored' }], structuredContent };
    expect(toolOutput(result, 10_000)).toEqual(structuredContent);
    const cut = toolOutput(result, 100);
    expect(typeof cut).toBe('string');
    expect((cut as string).startsWith('{"rows":[{"i":0}')).toBe(true);
    expect(cut as string).toContain(TRUNCATION_MARKER);
    expect(toolOutput({ content: [] }, 100)).toBe('');
  });
});
