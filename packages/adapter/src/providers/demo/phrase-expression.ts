/**
 * Phrase expressions: the small subset of JSGF rule expansions the demo
 * assistant's phrases are written in — lower-case words, `( a | b )`
 * alternatives, `[ optional ]` parts and `<slot>` references — parsed once and
 * compiled two ways from the same tree: back to JSGF (for pocketsphinx) and to
 * a regular expression with one named group per slot (for matching what was
 * said or typed). So the grammar and the matcher cannot drift apart.
 */

/** A parsed phrase expression. */
export type PhraseNode =
  | { readonly kind: 'word'; readonly word: string }
  | { readonly kind: 'slot'; readonly name: string }
  | { readonly kind: 'seq'; readonly items: readonly PhraseNode[] }
  | { readonly kind: 'alt'; readonly options: readonly PhraseNode[] }
  | { readonly kind: 'opt'; readonly item: PhraseNode };

const TOKEN = /\s*([()[\]|]|<[a-z_][a-z0-9_]*>|[a-z][a-z']*)/y;

function tokenize(source: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < source.length) {
    if (/^\s*$/.test(source.slice(TOKEN.lastIndex))) break;
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(source);
    if (match === null) {
      throw new Error(`phrase "${source}": unexpected text at ${at}: "${source.slice(at)}"`);
    }
    tokens.push(match[1] ?? '');
  }
  return tokens;
}

/**
 * Parses a phrase expression.
 *
 * @throws Error naming the phrase when it is not in the subset (unbalanced
 * brackets, an empty alternative, characters other than lower-case words).
 */
export function parsePhrase(source: string): PhraseNode {
  const tokens = tokenize(source);
  let at = 0;
  const fail = (what: string): never => {
    throw new Error(`phrase "${source}": ${what}`);
  };
  function alternatives(): PhraseNode {
    const options = [sequence()];
    while (tokens[at] === '|') {
      at += 1;
      options.push(sequence());
    }
    return options.length === 1 ? (options[0] as PhraseNode) : { kind: 'alt', options };
  }
  function sequence(): PhraseNode {
    const items: PhraseNode[] = [];
    for (;;) {
      const token = tokens[at];
      if (token === undefined || token === '|' || token === ')' || token === ']') break;
      at += 1;
      if (token === '(' || token === '[') {
        const inner = alternatives();
        const close = token === '(' ? ')' : ']';
        if (tokens[at] !== close) fail(`expected "${close}"`);
        at += 1;
        items.push(token === '(' ? inner : { kind: 'opt', item: inner });
      } else if (token.startsWith('<')) {
        items.push({ kind: 'slot', name: token.slice(1, -1) });
      } else {
        items.push({ kind: 'word', word: token });
      }
    }
    if (items.length === 0) fail('empty alternative');
    return items.length === 1 ? (items[0] as PhraseNode) : { kind: 'seq', items };
  }
  const tree = alternatives();
  if (at !== tokens.length) fail(`unexpected "${tokens[at] ?? ''}"`);
  return tree;
}

/** The slots a phrase refers to, in order, each once. */
export function slotsOf(node: PhraseNode): string[] {
  switch (node.kind) {
    case 'word':
      return [];
    case 'slot':
      return [node.name];
    case 'opt':
      return slotsOf(node.item);
    case 'seq':
      return [...new Set(node.items.flatMap(slotsOf))];
    case 'alt':
      return [...new Set(node.options.flatMap(slotsOf))];
  }
}

/** The words a phrase can produce (not counting its slots' words). */
export function wordsOf(node: PhraseNode): string[] {
  switch (node.kind) {
    case 'word':
      return [node.word];
    case 'slot':
      return [];
    case 'opt':
      return wordsOf(node.item);
    case 'seq':
      return node.items.flatMap(wordsOf);
    case 'alt':
      return node.options.flatMap(wordsOf);
  }
}

/** The phrase as a JSGF rule expansion; slot `<x>` becomes the rule `<prefix_x>`. */
export function toJsgf(node: PhraseNode, slotRule: (name: string) => string): string {
  switch (node.kind) {
    case 'word':
      return node.word;
    case 'slot':
      return `<${slotRule(node.name)}>`;
    case 'opt':
      return `[${toJsgf(node.item, slotRule)}]`;
    case 'seq':
      return node.items.map((item) => toJsgf(item, slotRule)).join(' ');
    case 'alt':
      return `(${node.options.map((option) => toJsgf(option, slotRule)).join(' | ')})`;
  }
}

function escapeWord(word: string): string {
  return word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The phrase as a regular-expression source matching normalised text (words
 * of lower-case letters, each preceded by one space): every word is ` word`,
 * a slot is a named group around its own pattern (which must match ` words`
 * the same way). With `named` false slots are plain groups (for a slot's own
 * pattern); else a slot used twice in one phrase is an error, as JavaScript
 * allows a group name once.
 */
export function toRegexSource(
  node: PhraseNode,
  slotPattern: (name: string) => string,
  named = true,
): string {
  const seen = new Set<string>();
  const render = (n: PhraseNode): string => {
    switch (n.kind) {
      case 'word':
        return ` ${escapeWord(n.word)}`;
      case 'slot':
        if (!named) return `(?:${slotPattern(n.name)})`;
        if (seen.has(n.name)) throw new Error(`slot <${n.name}> is used twice in one phrase`);
        seen.add(n.name);
        return `(?<${n.name}>${slotPattern(n.name)})`;
      case 'opt':
        return `(?:${render(n.item)})?`;
      case 'seq':
        return n.items.map(render).join('');
      case 'alt':
        return `(?:${n.options.map(render).join('|')})`;
    }
  };
  return render(node);
}
