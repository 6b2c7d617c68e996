import { describe, expect, it } from 'vitest';
import { base64url, closeMessage } from './voice-socket.js';

describe('the browser side of the session WebSocket', () => {
  it('encodes a key as base64url, which a subprotocol may carry', () => {
    const key = 'pk_0123456789abcdef_ABC-xyz+/=é';
    const encoded = base64url(key);
    expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
    const binary = atob(encoded.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    expect(new TextDecoder().decode(bytes)).toBe(key);
  });

  it('says what each close code of the protocol means', () => {
    expect(closeMessage(4401, '')).toMatch(/refused the API key/);
    expect(closeMessage(4404, '')).toMatch(/no longer exists/);
    expect(closeMessage(4409, '')).toMatch(/already connected/);
    expect(closeMessage(4429, 'quota')).toMatch(/quota/);
    expect(closeMessage(1001, '')).toMatch(/shutting down/);
    expect(closeMessage(1006, '')).toMatch(/connection to the server was lost/);
  });
});
