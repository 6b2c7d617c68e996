/**
 * A session's recordings (`GET /sessions/{id}/recordings`): each to listen to in the
 * page and to download as a WAV file. The audio is fetched with the credential in a
 * header and played or saved from a `blob:` URL — the key is never put in a URL.
 */
import { explain, type Api } from './api.js';
import { duration, el } from './dom.js';

/** The recording's WAV, fetched with the credential, as a `blob:` URL the caller revokes. */
async function blobUrl(api: Api, id: string): Promise<string> {
  const res = await api.raw(`recordings/${id}`);
  return URL.createObjectURL(await res.blob());
}

/** Downloads recording `id`. */
async function download(api: Api, id: string): Promise<void> {
  const url = await blobUrl(api, id);
  const link = el('a');
  link.href = url;
  link.download = `${id}.wav`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Replaces the Listen button of recording `id` with an audio player, playing. */
async function listen(api: Api, id: string, button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  const audio = el('audio');
  audio.controls = true;
  audio.preload = 'auto';
  audio.dataset['recordingId'] = id;
  audio.dataset['blob'] = await blobUrl(api, id);
  audio.src = audio.dataset['blob'];
  button.replaceWith(audio);
  // A browser may refuse to start without a gesture it counts; the controls remain.
  await audio.play().catch(() => undefined);
}

/** Revokes the `blob:` URLs of the players in `host`. */
function releasePlayers(host: HTMLElement): void {
  for (const audio of host.querySelectorAll('audio')) {
    audio.pause();
    const url = audio.dataset['blob'];
    if (url !== undefined) URL.revokeObjectURL(url);
  }
}

/** Says `why` in `host`, with a button that lists the recordings of `sessionId` again. */
export function offerLookAgain(
  api: Api,
  sessionId: string,
  host: HTMLElement,
  run: (work: () => Promise<void>) => void,
  why: string,
): void {
  releasePlayers(host);
  const retry = el('button', { text: 'Look for the recording again' });
  retry.type = 'button';
  retry.addEventListener('click', () =>
    run(async () => {
      await offerRecordings(api, sessionId, host, run);
    }),
  );
  host.replaceChildren(el('span', { text: why }), retry);
}

/**
 * Lists the recordings of `sessionId` in `host`, each with a player and a
 * download, or says the recording is not ready yet with a button to look again;
 * whether there was one. `run` reports failures.
 */
export async function offerRecordings(
  api: Api,
  sessionId: string,
  host: HTMLElement,
  run: (work: () => Promise<void>) => void,
): Promise<boolean> {
  let items: { id: string; duration_ms: number }[];
  try {
    ({ items } = await api.get<{ items: { id: string; duration_ms: number }[] }>(
      `sessions/${sessionId}/recordings`,
    ));
  } catch (err) {
    // Said where the recording would be: the banner keeps why the session ended.
    offerLookAgain(
      api,
      sessionId,
      host,
      run,
      `The recording could not be listed: ${explain(err)} `,
    );
    return false;
  }
  releasePlayers(host);
  host.replaceChildren();
  if (items.length === 0) {
    offerLookAgain(api, sessionId, host, run, 'No recording (yet). ');
    return false;
  }
  for (const item of items) {
    const play = el('button', { text: 'Listen', cls: 'listen' });
    play.type = 'button';
    play.addEventListener('click', () => run(() => listen(api, item.id, play)));
    const save = el('button', { text: `Download recording ${item.id}` });
    save.type = 'button';
    save.addEventListener('click', () => run(() => download(api, item.id)));
    const box = el(
      'div',
      { cls: 'recording' },
      el('span', {
        cls: 'muted small',
        text: `Recording, ${duration(item.duration_ms)} (caller left, assistant right) `,
      }),
      play,
      save,
    );
    box.dataset['recordingId'] = item.id;
    host.append(box);
  }
  return true;
}
