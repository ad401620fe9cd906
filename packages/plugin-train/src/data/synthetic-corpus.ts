import seedrandom from 'seedrandom';

/**
 * A seeded generator of grammatical English: a small phrase-structure grammar over a few
 * hundred real words, with number agreement (singular/plural subjects and verbs), past and
 * present tense, adjectives, prepositional phrases, relative and subordinate clauses. It is
 * rich enough that a model must learn syntax to beat the unigram entropy, and small enough
 * that a tiny model can within minutes on a CPU.
 */
const W = (s: string) => s.trim().split(/\s+/);

const NOUNS: [string, string][] = W(`
  cat dog bird horse child teacher farmer doctor student painter sailor king queen baker
  writer singer driver friend neighbour soldier fox rabbit wolf bear mouse lion monkey
  girl boy woman man parent guard pilot nurse judge poet cook scientist artist merchant
  river mountain forest garden city village house window door table chair book letter
  song story apple bread cake stone tree flower road bridge boat train ship lamp clock
  box bag cup plate coin map key ring picture painting idea question answer dream plan
  machine engine computer phone field lake island castle tower market school library
`).map((n) => [n, plural(n)]);

function plural(n: string): string {
  const irregular: Record<string, string> = { child: 'children', woman: 'women', man: 'men', mouse: 'mice', wolf: 'wolves', sheep: 'sheep', library: 'libraries', story: 'stories', city: 'cities' };
  if (irregular[n]) return irregular[n]!;
  if (/(s|x|ch|sh)$/.test(n)) return n + 'es';
  return n + 's';
}

const NAMES = W('Alice Bob Carol David Emma Frank Grace Henry Iris Jack Kate Leo Maria Nina Oscar Paul Rosa Sam Tom Vera');

const ADJECTIVES = W(`
  big small old young quiet loud happy sad bright dark tall short quick slow warm cold
  gentle brave clever strange red blue green yellow white black heavy light soft hard
  kind proud tired busy empty famous hungry lonely careful honest rich poor ancient modern
  wooden golden silver broken hidden narrow wide
`);

/** [base, third person singular, past] */
const TRANSITIVE: [string, string, string][] = [
  ['see', 'sees', 'saw'], ['find', 'finds', 'found'], ['like', 'likes', 'liked'], ['follow', 'follows', 'followed'],
  ['carry', 'carries', 'carried'], ['watch', 'watches', 'watched'], ['help', 'helps', 'helped'], ['paint', 'paints', 'painted'],
  ['build', 'builds', 'built'], ['open', 'opens', 'opened'], ['close', 'closes', 'closed'], ['read', 'reads', 'read'],
  ['write', 'writes', 'wrote'], ['visit', 'visits', 'visited'], ['remember', 'remembers', 'remembered'], ['chase', 'chases', 'chased'],
  ['love', 'loves', 'loved'], ['hear', 'hears', 'heard'], ['bring', 'brings', 'brought'], ['take', 'takes', 'took'],
  ['buy', 'buys', 'bought'], ['sell', 'sells', 'sold'], ['draw', 'draws', 'drew'], ['catch', 'catches', 'caught'],
  ['teach', 'teaches', 'taught'], ['call', 'calls', 'called'], ['greet', 'greets', 'greeted'], ['hide', 'hides', 'hid'],
  ['push', 'pushes', 'pushed'], ['pull', 'pulls', 'pulled'], ['wash', 'washes', 'washed'], ['fix', 'fixes', 'fixed'],
];

const INTRANSITIVE: [string, string, string][] = [
  ['sleep', 'sleeps', 'slept'], ['run', 'runs', 'ran'], ['laugh', 'laughs', 'laughed'], ['sing', 'sings', 'sang'],
  ['wait', 'waits', 'waited'], ['dance', 'dances', 'danced'], ['swim', 'swims', 'swam'], ['smile', 'smiles', 'smiled'],
  ['arrive', 'arrives', 'arrived'], ['travel', 'travels', 'travelled'], ['rest', 'rests', 'rested'], ['work', 'works', 'worked'],
  ['walk', 'walks', 'walked'], ['fall', 'falls', 'fell'], ['shout', 'shouts', 'shouted'], ['listen', 'listens', 'listened'],
];

const ADVERBS = W('quickly slowly quietly happily carefully suddenly often rarely always never together again today yesterday gladly loudly softly early late');
const PREPOSITIONS = W('near behind under above beside inside across from with without beyond toward');
const SUBORDINATORS = W('because while when although after before since');
const SINGULAR_DET = W('the a every this that my our your one');
const PLURAL_DET = W('the some many these those my our few two three');

export class SyntheticCorpus {
  private readonly rand: () => number;

  constructor(seed: number | string) {
    this.rand = seedrandom.alea(`repscope/synthetic/${seed}`);
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.rand() * items.length)]!;
  }

  private chance(p: number): boolean {
    return this.rand() < p;
  }

  /** A noun phrase and whether it is plural. */
  private nounPhrase(depth: number): { text: string; plural: boolean } {
    if (this.chance(0.12)) return { text: this.pick(NAMES), plural: false };
    const pluralNp = this.chance(0.3);
    const [singular, pl] = this.pick(NOUNS);
    const words = [this.pick(pluralNp ? PLURAL_DET : SINGULAR_DET)];
    if (this.chance(0.4)) words.push(this.pick(ADJECTIVES));
    if (this.chance(0.1)) words.push(this.pick(ADJECTIVES));
    words.push(pluralNp ? pl : singular);
    if (depth < 1 && this.chance(0.15)) words.push(this.pick(PREPOSITIONS), this.nounPhrase(depth + 1).text);
    if (depth < 1 && this.chance(0.1)) words.push('that', this.verbPhrase(pluralNp, this.chance(0.5), depth + 1));
    return { text: fixArticle(words.join(' ')), plural: pluralNp };
  }

  private verbPhrase(plural: boolean, past: boolean, depth: number): string {
    const form = (v: [string, string, string]) => (past ? v[2] : plural ? v[0] : v[1]);
    const words: string[] = [];
    if (this.chance(0.6)) words.push(form(this.pick(TRANSITIVE)), this.nounPhrase(depth + 1).text);
    else {
      words.push(form(this.pick(INTRANSITIVE)));
      if (this.chance(0.4)) words.push(this.pick(PREPOSITIONS), this.nounPhrase(depth + 1).text);
    }
    if (this.chance(0.3)) words.push(this.pick(ADVERBS));
    return words.join(' ');
  }

  private clause(depth: number): string {
    const subject = this.nounPhrase(depth);
    const past = this.chance(0.5);
    return `${subject.text} ${this.verbPhrase(subject.plural, past, depth)}`;
  }

  sentence(): string {
    let s = this.clause(0);
    if (this.chance(0.25)) s += `${this.chance(0.3) ? ',' : ''} ${this.pick(SUBORDINATORS)} ${this.clause(1)}`;
    else if (this.chance(0.15)) s += `, and ${this.clause(1)}`;
    const end = this.chance(0.9) ? '.' : '!';
    return s.charAt(0).toUpperCase() + s.slice(1) + end;
  }

  /** `count` sentences, a few to a paragraph. */
  text(count: number): string {
    const out: string[] = [];
    for (let i = 0; i < count; i++) out.push(this.sentence(), this.chance(0.15) ? '\n' : ' ');
    return out.join('');
  }
}

/** "a apple" → "an apple". */
function fixArticle(phrase: string): string {
  return phrase.replace(/\ba ([aeiou])/g, 'an $1');
}

/** How many distinct words the grammar can produce (for the README). */
export function syntheticVocabularySize(): number {
  const words = new Set<string>([...NAMES, ...ADJECTIVES, ...ADVERBS, ...PREPOSITIONS, ...SUBORDINATORS, ...SINGULAR_DET, ...PLURAL_DET, 'that', 'and', 'an']);
  for (const [a, b] of NOUNS) words.add(a).add(b);
  for (const v of [...TRANSITIVE, ...INTRANSITIVE]) for (const f of v) words.add(f);
  return words.size;
}
