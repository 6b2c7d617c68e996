/**
 * A span whose parent is not known yet: an agent run started speculatively, before
 * the end of turn was decided, belongs to the turn if the turn adopts it and to the
 * session if the caller talked over it. Until {@link DeferredSpan.attach} it records
 * what happens to it (attributes, events, failure, end, children); attached, it
 * becomes a real span with those times, and everything after goes straight to it.
 */
import type { TraceAttributes, TraceSpan, VoiceTracing } from '@prx-voice/observe';

type Pending =
  | { readonly kind: 'set'; readonly attributes: TraceAttributes }
  | {
      readonly kind: 'event';
      readonly name: string;
      readonly at: number;
      readonly attributes: TraceAttributes | undefined;
    }
  | { readonly kind: 'fail'; readonly type: string; readonly message: string | undefined };

/** A span that may not have its parent yet. */
export class DeferredSpan {
  private span: TraceSpan | undefined;
  private readonly pending: Pending[] = [];
  private readonly children: DeferredSpan[] = [];
  private endAt: number | undefined;

  constructor(
    private readonly tracing: VoiceTracing,
    readonly name: string,
    readonly startAt: number,
    private readonly attributes: TraceAttributes,
    private readonly kind: 'internal' | 'client' = 'client',
  ) {}

  /** Whether it has its parent (and is a real span). */
  get attached(): boolean {
    return this.span !== undefined;
  }

  /** Whether it has ended (recorded or real). */
  get ended(): boolean {
    return this.endAt !== undefined;
  }

  /** Becomes a real span under `parent`, with what it recorded; its children follow. */
  attach(parent: TraceSpan, attributes: TraceAttributes = {}): TraceSpan {
    if (this.span !== undefined) return this.span;
    const span = this.tracing.startSpan(this.name, {
      at: this.startAt,
      parent,
      kind: this.kind,
      attributes: { ...this.attributes, ...attributes },
    });
    this.span = span;
    for (const p of this.pending.splice(0)) {
      if (p.kind === 'set') span.set(p.attributes);
      else if (p.kind === 'event') span.event(p.name, p.at, p.attributes);
      else span.fail(p.type, p.message);
    }
    for (const c of this.children) c.attach(span);
    if (this.endAt !== undefined) span.end(this.endAt);
    return span;
  }

  /** A child span, attached when this one is. */
  child(
    name: string,
    at: number,
    attributes: TraceAttributes,
    kind: 'internal' | 'client' = 'client',
  ): DeferredSpan {
    const c = new DeferredSpan(this.tracing, name, at, attributes, kind);
    if (this.span !== undefined) c.attach(this.span);
    else this.children.push(c);
    return c;
  }

  set(attributes: TraceAttributes): void {
    if (this.span !== undefined) this.span.set(attributes);
    else this.pending.push({ kind: 'set', attributes });
  }

  event(name: string, at: number, attributes?: TraceAttributes): void {
    if (this.span !== undefined) this.span.event(name, at, attributes);
    else this.pending.push({ kind: 'event', name, at, attributes });
  }

  fail(type: string, message?: string): void {
    if (this.span !== undefined) this.span.fail(type, message);
    else this.pending.push({ kind: 'fail', type, message });
  }

  /** Ends it (a recorded end until attached); later calls are ignored. */
  end(at: number): void {
    if (this.endAt !== undefined) return;
    this.endAt = at;
    this.span?.end(at);
  }
}
