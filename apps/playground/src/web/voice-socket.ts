/**
 * The session WebSocket from a browser: the credential goes as a subprotocol
 * (`prx-voice.auth.<base64url>`, with `prx-voice`, which the server selects) since a
 * browser cannot set headers and a key must not sit in a URL; binary frames are
 * audio, text frames CloudEvents; close codes become sentences.
 */

/** A session event as it arrives (a CloudEvent in structured mode). */
export interface VoiceEvent {
  readonly type: string;
  readonly time?: string;
  readonly prxseq?: number;
  readonly prxturnid?: string;
  readonly prxrunid?: string;
  readonly data: Record<string, unknown>;
}

/** What the page hears from the socket. */
export interface SocketHandlers {
  onOpen(): void;
  onEvent(event: VoiceEvent): void;
  onAudio(pcm: ArrayBuffer): void;
  /** The socket closed; `message` says why in plain words. */
  onClose(info: {
    readonly code: number;
    readonly message: string;
    readonly wasOpen: boolean;
  }): void;
}

/** An open (or opening) session socket. */
export interface VoiceSocket {
  /** Sends a control message (`input.text`, `interrupt`, `playback.position`, `end`, …). */
  send(message: { readonly type: string } & Record<string, unknown>): void;
  /** Sends a frame of PCM16 audio. */
  sendAudio(pcm: ArrayBuffer): void;
  close(): void;
  readonly open: boolean;
}

/** `base64url` of a string's UTF-8 bytes. */
export function base64url(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** What a close code means to a person. */
export function closeMessage(code: number, reason: string): string {
  switch (code) {
    case 4401:
      return 'The server refused the API key for this session. Sign in again.';
    case 4403:
      return "This key's role may not talk to sessions.";
    case 4404:
      return 'The session no longer exists (it ended, or the server restarted).';
    case 4409:
      return 'The session is already connected elsewhere (another tab?).';
    case 4429:
      return `The server is limiting this tenant: ${reason || 'try again later'}.`;
    case 1000:
      return 'The session ended.';
    case 1001:
      return 'The server is shutting down.';
    case 1011:
      return 'The server hit an internal error.';
    default:
      return 'The connection to the server was lost.';
  }
}

/** Opens the socket of session `sessionId` on this page's origin. */
export function openVoiceSocket(
  sessionId: string,
  token: string,
  handlers: SocketHandlers,
): VoiceSocket {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const url = `${scheme}//${location.host}/api/v1/ws/${encodeURIComponent(sessionId)}`;
  const ws = new WebSocket(url, ['prx-voice', `prx-voice.auth.${base64url(token)}`]);
  ws.binaryType = 'arraybuffer';
  let wasOpen = false;
  ws.addEventListener('open', () => {
    wasOpen = true;
    handlers.onOpen();
  });
  ws.addEventListener('message', (msg: MessageEvent<unknown>) => {
    if (msg.data instanceof ArrayBuffer) {
      handlers.onAudio(msg.data);
      return;
    }
    if (typeof msg.data !== 'string') return;
    let event: VoiceEvent;
    try {
      event = JSON.parse(msg.data) as VoiceEvent;
    } catch {
      return; // not an event: ignore
    }
    handlers.onEvent(event);
  });
  // An `error` is always followed by `close`, which reports it.
  ws.addEventListener('error', () => undefined);
  ws.addEventListener('close', (e) => {
    handlers.onClose({ code: e.code, message: closeMessage(e.code, e.reason), wasOpen });
  });
  return {
    send(message) {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
    },
    sendAudio(pcm) {
      if (ws.readyState === WebSocket.OPEN) ws.send(pcm);
    },
    close() {
      ws.close(1000, 'page closed the session');
    },
    get open() {
      return ws.readyState === WebSocket.OPEN;
    },
  };
}
