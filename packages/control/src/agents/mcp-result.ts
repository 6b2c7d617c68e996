/**
 * Turns an MCP `tools/call` result into a tool result the agent can read: the
 * `structuredContent` object when the server sent one (and it fits), otherwise the
 * content items as text, cut to the spec's `max_output_chars` with a marker.
 */
import type { CallToolResult, ContentBlock } from '@modelcontextprotocol/sdk/types.js';

/** The start of the marker that ends a truncated output. */
export const TRUNCATION_MARKER = '…[truncated:';

/** Cuts `text` to at most `max` characters, ending with a marker that gives the full length. */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  const marker = `\n${TRUNCATION_MARKER} ${text.length} characters in all]`;
  let keep = Math.max(0, max - marker.length);
  const last = text.charCodeAt(keep - 1);
  if (keep > 0 && last >= 0xd800 && last <= 0xdbff) keep -= 1; // do not split a surrogate pair
  return `${text.slice(0, keep)}${marker}`.slice(0, max);
}

/** One content item as text; media are described, not inlined. */
function itemText(item: ContentBlock): string {
  switch (item.type) {
    case 'text':
      return item.text;
    case 'image':
    case 'audio':
      return `[${item.type}: ${item.mimeType}, ${item.data.length} base64 characters]`;
    case 'resource_link':
      return `[resource link: ${item.uri}${item.name === '' ? '' : ` (${item.name})`}]`;
    case 'resource':
      return 'text' in item.resource
        ? item.resource.text
        : `[resource: ${item.resource.uri}${item.resource.mimeType === undefined ? '' : `, ${item.resource.mimeType}`}]`;
  }
}

/** The content items of a result joined as text (one item per line). */
export function contentText(result: Pick<CallToolResult, 'content'>): string {
  return result.content.map(itemText).join('\n');
}

/**
 * The agent's view of a successful result: `structuredContent` as JSON when its
 * text fits in `max` characters, else that text cut; without it the content text, cut.
 */
export function toolOutput(result: CallToolResult, max: number): unknown {
  const structured = result.structuredContent;
  if (structured !== undefined) {
    const json = JSON.stringify(structured);
    return json.length <= max ? structured : truncateText(json, max);
  }
  return truncateText(contentText(result), max);
}
