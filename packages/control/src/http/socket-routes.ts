/**
 * WebSocket routes: declared like HTTP routes (documented in the same registry,
 * under the same base path) and upgraded by one router keyed by that table, so
 * the server has one `upgrade` listener and no path regex of its own. With a
 * {@link SocketHandoff} (the server's workers on one host), a connection for a session
 * another worker holds is handed to that worker before the upgrade.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { selectProtocol } from '../auth/ws-protocol-token.js';
import type { RouteDoc, RouteRegistry } from './openapi.js';
import { registerConnection } from './wire-socket.js';

/** The upgrade request a socket route's handler gets. */
export interface SocketRequest {
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  /** The path's `{name}` parameters, URI-decoded. */
  readonly params: Readonly<Record<string, string>>;
  /** The peer's address as the socket sees it (for carriers that authenticate by source address). */
  readonly remoteAddress?: string | undefined;
}

/**
 * A WebSocket route: its documentation and the handler of each upgraded
 * connection. The handler authenticates (`auth: 'query'` documents a header,
 * a `prx-voice.auth.*` subprotocol or `?token=`) and refuses with the protocol's close codes.
 */
export interface SocketRouteDefinition extends Omit<
  RouteDoc,
  'method' | 'body' | 'response' | 'status' | 'contentType' | 'upgrade'
> {
  readonly connect: (ws: WebSocket, request: SocketRequest) => void | Promise<void>;
  /**
   * The instance holding what a connection is for (its session), read before the upgrade
   * and before authentication; undefined when unknown. Only asked with a {@link SocketHandoff}.
   */
  readonly holder?: (request: SocketRequest) => Promise<string | undefined>;
}

/**
 * Hands a connection to another process of this host: the server's workers, each an
 * instance, behind a supervisor that owns the port.
 */
export interface SocketHandoff {
  /** The instance this process is. */
  readonly instanceId: string;
  /**
   * Gives `socket` — whose request, as received, is `raw` — to the process that is
   * `instanceId`; false when no process of this host is (the connection stays here).
   */
  handOff(instanceId: string, raw: Buffer, socket: Duplex): boolean;
}

/**
 * The metrics of every worker of this host as one scrape: each worker labels its series
 * `worker` with its instance id, and whichever worker a scrape reaches gathers them all.
 */
export interface HostMetrics {
  /** This worker's `worker` label. */
  readonly worker: string;
  /** Answers the other workers' gatherings with this worker's series (`own`). */
  provide(own: () => Promise<readonly object[]>): void;
  /** Every live worker's series, this one's included. */
  gather(): Promise<readonly (readonly object[])[]>;
}

/**
 * The header a handed-off request carries (the instance it came from): it is served where
 * it arrives, never handed on again.
 */
export const HANDED_OFF_HEADER = 'x-prx-voice-handed-off';

/** The upgrade request as it came over the wire (enough of it to parse again), marked handed off. */
function rawRequest(req: IncomingMessage, head: Buffer, from: string): Buffer {
  const lines = [`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/${req.httpVersion}`];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) lines.push(`${raw[i]}: ${raw[i + 1]}`);
  lines.push(`${HANDED_OFF_HEADER}: ${from}`, '', '');
  return Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), head]);
}

/** Registers one WebSocket route. */
export type DefineSocketRoute = (def: SocketRouteDefinition) => void;

/** The socket routes of an app and the upgrades they serve. */
export interface SocketRouter {
  /** Adds a route (documented in the registry). */
  readonly add: DefineSocketRoute;
  /** Serves an HTTP upgrade: the matching route's handler, or 404 when no route matches. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Closes every open socket (shutdown). */
  closeAll(code: number, reason: string): void;
}

interface Compiled {
  readonly pattern: RegExp;
  readonly names: readonly string[];
  readonly def: SocketRouteDefinition;
}

/** `/api/v1/ws/{session_id}` → a matcher of the whole path (a trailing slash allowed). */
export function compileSocketPath(path: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const source = path
    .split(/(\{[^}]+\})/)
    .map((part) => {
      const m = /^\{([^}]+)\}$/.exec(part);
      if (m?.[1] === undefined) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(m[1]);
      return '([^/]+)';
    })
    .join('');
  return { pattern: new RegExp(`^${source}/?$`), names };
}

/** A router for the socket routes of `registry`, with one `ws` server that never listens itself. */
export function createSocketRouter(opts: {
  readonly registry: RouteRegistry;
  /** Largest frame a client may send, bytes. */
  readonly maxPayload: number;
  readonly onError?: (error: unknown) => void;
  /** Hands connections for sessions of sibling workers over (absent: every connection stays). */
  readonly handoff?: SocketHandoff;
}): SocketRouter {
  const handoff = opts.handoff;
  const routes: Compiled[] = [];
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: opts.maxPayload,
    handleProtocols: selectProtocol,
  });
  return {
    add(def) {
      const { connect: _connect, holder: _holder, ...doc } = def;
      opts.registry.add({ ...doc, method: 'get', upgrade: 'websocket' });
      const base = def.at === 'root' ? '' : opts.registry.basePath;
      const { pattern, names } = compileSocketPath(`${base}${def.path}`);
      routes.push({ pattern, names, def });
    },
    upgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'http://localhost');
      for (const route of routes) {
        const m = route.pattern.exec(url.pathname);
        if (m === null) continue;
        const params: Record<string, string> = {};
        try {
          route.names.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1] ?? '')));
        } catch {
          break; // a malformed escape: no such resource
        }
        const request: SocketRequest = {
          url,
          headers: req.headers,
          params,
          remoteAddress: req.socket.remoteAddress,
        };
        const accept = (): void => {
          if (socket.destroyed) return;
          wss.handleUpgrade(req, socket, head, (ws) => {
            registerConnection(ws, socket);
            const fail = (err: unknown): void => {
              opts.onError?.(err);
              ws.close(1011, 'internal error');
            };
            try {
              Promise.resolve(route.def.connect(ws, request)).catch(fail);
            } catch (err) {
              fail(err);
            }
          });
        };
        const holderOf = route.def.holder;
        if (handoff === undefined || holderOf === undefined || HANDED_OFF_HEADER in req.headers) {
          accept();
          return;
        }
        // Clients wait for the upgrade's answer before they send: nothing arrives meanwhile.
        holderOf(request).then(
          (holder) => {
            const elsewhere = holder !== undefined && holder !== handoff.instanceId;
            if (
              elsewhere &&
              !socket.destroyed &&
              handoff.handOff(holder, rawRequest(req, head, handoff.instanceId), socket)
            )
              return;
            accept();
          },
          (err: unknown) => {
            opts.onError?.(err);
            accept();
          },
        );
        return;
      }
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
    },
    closeAll(code, reason) {
      for (const client of wss.clients) client.close(code, reason);
    },
  };
}
