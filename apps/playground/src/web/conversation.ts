/**
 * The live conversation as the playground shows it, built from the session's
 * events: the caller's words (partials, then the final), the assistant's text as
 * it streams (and, after a barge-in, what was heard of it), tool calls and their
 * results, errors, and a log of every event.
 */
import { el } from './dom.js';
import type { VoiceEvent } from './voice-socket.js';

/** Most events kept in the log panel. */
const LOG_LIMIT = 400;

const str = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** The conversation panel and the event log. */
export class Conversation {
  private user: HTMLElement | undefined;
  private assistant: HTMLElement | undefined;
  private assistantRun: string | undefined;
  private readonly tools = new Map<string, HTMLElement>();

  constructor(
    private readonly transcript: HTMLElement,
    private readonly log: HTMLElement,
  ) {}

  /** Forgets everything shown (a new session). */
  reset(): void {
    this.transcript.replaceChildren();
    this.log.replaceChildren();
    this.user = undefined;
    this.assistant = undefined;
    this.assistantRun = undefined;
    this.tools.clear();
  }

  /** A turn the person typed. */
  typed(text: string): void {
    this.add(el('p', { cls: 'msg user typed', text }));
    this.user = undefined;
  }

  /** A note from the page itself (not the server). */
  note(text: string): void {
    this.add(el('p', { cls: 'msg note', text }));
  }

  /** Applies one session event. */
  apply(e: VoiceEvent): void {
    this.logEvent(e);
    const d = e.data;
    switch (e.type) {
      case 'prx.voice.asr.transcript_partial':
        this.userLine().textContent = str(d['text']);
        break;
      case 'prx.voice.asr.transcript_final': {
        const line = this.userLine();
        line.textContent = str(d['text']);
        line.classList.remove('partial');
        this.user = undefined;
        break;
      }
      case 'prx.voice.agent.token_stream':
        this.assistantLine(e.prxrunid).textContent += str(d['text']);
        break;
      case 'prx.voice.agent.response_complete':
        if (typeof d['text'] === 'string' && d['text'] !== '') {
          this.assistantLine(e.prxrunid).textContent = d['text'];
        }
        break;
      case 'prx.voice.interrupt.issued': {
        const line = this.assistant;
        if (line !== undefined) {
          line.classList.add('interrupted');
          line.title = `interrupted (${str(d['reason'])}); heard: “${str(d['heard_text'] ?? '')}”`;
          line.dataset['heard'] = str(d['heard_text'] ?? '');
        }
        break;
      }
      case 'prx.voice.agent.tool_call': {
        const item = el('p', {
          cls: 'msg tool',
          text: `tool ${str(d['name'])}(${JSON.stringify(d['arguments'] ?? {})})`,
        });
        this.tools.set(str(d['call_id']), item);
        this.add(item);
        break;
      }
      case 'prx.voice.agent.tool_result': {
        const item = this.tools.get(str(d['call_id']));
        const text = ` → ${d['ok'] === true ? '' : 'failed: '}${JSON.stringify(d['result'] ?? d['error'] ?? null)}`;
        if (item !== undefined) item.textContent += text;
        else this.add(el('p', { cls: 'msg tool', text: `tool ${str(d['name'])}${text}` }));
        break;
      }
      case 'prx.voice.asr.error':
      case 'prx.voice.agent.error':
      case 'prx.voice.tts.error':
        this.note(`${e.type.split('.')[2] ?? 'provider'} error: ${str(d['message'])}`);
        break;
      default:
        break;
    }
  }

  private userLine(): HTMLElement {
    if (this.user === undefined) {
      this.user = el('p', { cls: 'msg user partial' });
      this.add(this.user);
    }
    return this.user;
  }

  private assistantLine(runId: string | undefined): HTMLElement {
    if (this.assistant === undefined || runId !== this.assistantRun) {
      this.assistant = el('p', { cls: 'msg assistant' });
      this.assistantRun = runId;
      this.add(this.assistant);
    }
    return this.assistant;
  }

  private add(node: HTMLElement): void {
    this.transcript.append(node);
    node.scrollIntoView({ block: 'nearest' });
  }

  private logEvent(e: VoiceEvent): void {
    const summary = Object.entries(e.data)
      .filter(([, v]) => typeof v !== 'object' || v === null)
      .map(([k, v]) => `${k}=${str(v)}`)
      .join(' ')
      .slice(0, 160);
    const row = el('li', {}, el('code', { text: `#${String(e.prxseq ?? '')}` }));
    row.append(
      ` ${e.type.replace('prx.voice.', '')} `,
      el('span', { cls: 'muted', text: summary }),
    );
    this.log.prepend(row);
    while (this.log.childElementCount > LOG_LIMIT) this.log.lastElementChild?.remove();
  }
}
