/**
 * The layering table of ARCHITECTURE.md ("Packages and what each may import"):
 * each package under `packages/` may depend on exactly the `@prx-voice/*`
 * packages listed in its row. Change the table here and in the architecture
 * document together.
 */
const LEAF_AND_MIDDLE = /** @type {const} */ ({
  types: [],
  media: ['types'],
  core: ['types'],
  state: ['types', 'core'],
  storage: ['types', 'core'],
  event: ['types', 'core', 'storage'],
  policy: ['types', 'core', 'storage'],
  billing: ['types', 'core', 'storage'],
  audit: ['types', 'core', 'storage'],
  observe: ['types', 'core', 'storage'],
  adapter: ['types', 'core', 'media'],
  transport: ['types', 'core', 'media', 'event'],
});

const BELOW_SESSION = Object.keys(LEAF_AND_MIDDLE);

/** @type {Readonly<Record<string, readonly string[]>>} */
export const ALLOWED = {
  ...LEAF_AND_MIDDLE,
  session: BELOW_SESSION,
  control: [...BELOW_SESSION, 'session'],
};

/** The npm scope of the workspace's published packages. */
export const SCOPE = '@prx-voice/';
