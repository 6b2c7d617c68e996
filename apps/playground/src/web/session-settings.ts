/**
 * The playground's session settings: a stored assistant (`GET /assistants`) or
 * providers, system prompt, voice and provider options typed in, read into the
 * body of `POST /sessions` — with a plain message when something typed is invalid.
 */
import type { Api } from './api.js';
import { byId, el } from './dom.js';

/** The body of `POST /sessions` the settings make. */
export interface SessionBody {
  assistant_id?: string;
  providers?: Record<string, string>;
  provider_options?: Record<string, Record<string, unknown>>;
  system_prompt?: string;
  record?: boolean;
}

/** Fills the assistant picker; a key whose role may not list assistants still signs in. */
export async function showAssistants(api: Api, select: HTMLSelectElement): Promise<void> {
  const none = el('option', { text: '— none: use the settings below —' });
  none.value = '';
  let items: { id: string; name: string; version?: number }[] = [];
  try {
    items = (await api.get<{ items: typeof items }>('assistants?limit=100')).items;
  } catch (err) {
    if (!(err instanceof Error && 'code' in err && err.code === 'FORBIDDEN')) throw err;
  }
  select.replaceChildren(none);
  for (const a of items) {
    const option = el('option', { text: `${a.name} (${a.id})` });
    option.value = a.id;
    select.append(option);
  }
}

const value = (id: string): string => {
  const field = byId(id);
  return field instanceof HTMLInputElement || field instanceof HTMLTextAreaElement
    ? field.value.trim()
    : '';
};

/** The settings as a request body, or why they are invalid. */
export function readSettings():
  | { readonly kind: 'ok'; readonly body: SessionBody }
  | { readonly kind: 'invalid'; readonly message: string } {
  const body: SessionBody = {};
  const assistant = byId('assistant', HTMLSelectElement).value;
  if (assistant !== '') body.assistant_id = assistant;
  const providers: Record<string, string> = {};
  for (const kind of ['asr', 'agent', 'tts'] as const) {
    const name = value(`provider-${kind}`);
    if (name !== '') providers[kind] = name;
  }
  if (Object.keys(providers).length > 0) body.providers = providers;
  const prompt = value('prompt');
  if (prompt !== '') body.system_prompt = prompt;
  let options: Record<string, Record<string, unknown>> = {};
  const raw = value('provider-options');
  if (raw !== '') {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error();
      options = parsed as typeof options;
    } catch {
      return {
        kind: 'invalid',
        message: 'Provider options must be a JSON object such as {"asr": {"transcript": "hello"}}.',
      };
    }
  }
  const voice = value('voice');
  if (voice !== '') options = { ...options, tts: { ...(options['tts'] ?? {}), voice } };
  if (Object.keys(options).length > 0) body.provider_options = options;
  if (byId('record', HTMLInputElement).checked) body.record = true;
  return { kind: 'ok', body };
}
