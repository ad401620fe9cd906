#!/usr/bin/python3
"""An independent encoder for the BPE tokenizer.json files of Llama 3, Qwen 3 and Gemma 3.

Written from the Hugging Face `tokenizers` (Rust) semantics, which is what a tokenizer.json
specifies, for exactly the components these three files use; anything else is refused rather
than guessed:

  added tokens   split out of the raw text first, leftmost-longest (tokenizers' AddedVocabulary
                 uses Aho-Corasick with LeftmostLongest); all added tokens in these files have
                 normalized = false, lstrip = rstrip = single_word = false
  normalizer     null | NFC | Replace(String) | Sequence of those
  pre-tokenizer  Split(Regex, Isolated) + ByteLevel(use_regex = false) for Llama 3 / Qwen 3;
                 Split(String " ", MergedWithPrevious) for Gemma 3 (a no-op after its normalizer
                 has replaced every " " with "▁", so Gemma's BPE sees whole segments)
  model          BPE: vocab, merges (rank = position), ignore_merges (Llama 3: a pre-token that is
                 itself in the vocabulary is emitted whole), byte_fallback (Gemma: a character
                 missing from the vocabulary becomes its UTF-8 bytes as <0xXX> tokens), merges
                 applied lowest rank first and, within a rank, leftmost first (tokenizers'
                 word.rs priority queue)
  post-processor ByteLevel (adds nothing) | TemplateProcessing (single: Gemma's "<bos> $A")

The regex is run with the `regex` module (python3-regex): like Oniguruma, which tokenizers uses,
its \\s is the Unicode White_Space property and it supports (?i:...) groups and lookahead, so the
pattern from the file is used verbatim. NFC uses Python's unicodedata.

Usage:
  bpe_tokenizer.py TOKENIZER_JSON [TOKENIZER_CONFIG] --text "..."         print ids
  bpe_tokenizer.py --make-ids SENTENCES OUT_JSON family=dir ...           write tokenizer-ids.json
"""

import argparse
import heapq
import json
import os
import sys
import unicodedata

import regex


def bytes_to_unicode():
    """GPT-2's byte <-> printable character table used by the ByteLevel pre-tokenizer."""
    bs = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


BYTE_CHAR = bytes_to_unicode()


class Tokenizer:
    def __init__(self, tokenizer_json, tokenizer_config=None):
        with open(tokenizer_json, encoding='utf8') as f:
            spec = json.load(f)
        self.config = {}
        if tokenizer_config and os.path.exists(tokenizer_config):
            with open(tokenizer_config, encoding='utf8') as f:
                self.config = json.load(f)
        self._init_added(spec['added_tokens'])
        self.normalizers = self._parse_normalizer(spec.get('normalizer'))
        self.pre_tokenizers = self._parse_pre_tokenizer(spec.get('pre_tokenizer'))
        self._init_model(spec['model'])
        self.prefix_ids, self.suffix_ids = self._parse_post_processor(spec.get('post_processor'))

    # ---- configuration -------------------------------------------------------------------------

    def _init_added(self, added):
        for a in added:
            if a.get('normalized') or a.get('lstrip') or a.get('rstrip') or a.get('single_word'):
                raise NotImplementedError(f'added token {a["content"]!r} with normalized/lstrip/rstrip/single_word')
        self.added = {a['content']: a['id'] for a in added}
        # Longest first: with a backtracking alternation this yields leftmost-longest matches.
        contents = sorted(self.added, key=len, reverse=True)
        self.added_re = regex.compile('|'.join(regex.escape(c) for c in contents)) if contents else None

    def _parse_normalizer(self, n):
        if n is None:
            return []
        if n['type'] == 'Sequence':
            return [x for m in n['normalizers'] for x in self._parse_normalizer(m)]
        if n['type'] == 'NFC':
            return [lambda s: unicodedata.normalize('NFC', s)]
        if n['type'] == 'Replace' and 'String' in n['pattern']:
            old, new = n['pattern']['String'], n['content']
            return [lambda s, old=old, new=new: s.replace(old, new)]
        raise NotImplementedError(f'normalizer {n["type"]}')

    def _parse_pre_tokenizer(self, p):
        if p is None:
            return []
        if p['type'] == 'Sequence':
            return [x for q in p['pretokenizers'] for x in self._parse_pre_tokenizer(q)]
        if p['type'] == 'Split':
            if p.get('invert'):
                raise NotImplementedError('Split invert')
            pat = p['pattern']
            rx = regex.compile(pat['Regex']) if 'Regex' in pat else regex.compile(regex.escape(pat['String']))
            behavior = p['behavior']
            if behavior not in ('Isolated', 'MergedWithPrevious'):
                raise NotImplementedError(f'Split behavior {behavior}')
            return [lambda pieces, rx=rx, behavior=behavior: [q for s in pieces for q in split(s, rx, behavior)]]
        if p['type'] == 'ByteLevel':
            if p.get('add_prefix_space') or p.get('use_regex'):
                raise NotImplementedError('ByteLevel with add_prefix_space or use_regex')
            return [lambda pieces: [''.join(BYTE_CHAR[b] for b in s.encode('utf8')) for s in pieces]]
        raise NotImplementedError(f'pre-tokenizer {p["type"]}')

    def _init_model(self, m):
        if m['type'] != 'BPE':
            raise NotImplementedError(f'model {m["type"]}')
        if m.get('dropout'):
            raise NotImplementedError('BPE dropout')
        if m.get('continuing_subword_prefix') or m.get('end_of_word_suffix'):
            raise NotImplementedError('continuing_subword_prefix / end_of_word_suffix')
        self.vocab = m['vocab']
        self.ignore_merges = bool(m.get('ignore_merges'))
        self.byte_fallback = bool(m.get('byte_fallback'))
        self.unk = m.get('unk_token')
        self.fuse_unk = bool(m.get('fuse_unk'))
        self.merges = {}
        for rank, mg in enumerate(m['merges']):
            a, b = mg.split(' ') if isinstance(mg, str) else mg
            self.merges[(self.vocab[a], self.vocab[b])] = (rank, self.vocab[a + b])

    def _parse_post_processor(self, p):
        if p is None or p['type'] == 'ByteLevel':
            return [], []  # ByteLevel post-processing only trims offsets
        if p['type'] == 'TemplateProcessing':
            pre, post, seen = [], [], False
            for piece in p['single']:
                if 'Sequence' in piece:
                    seen = True
                    continue
                tok = piece['SpecialToken']['id']
                ids = p['special_tokens'][tok]['ids']
                (post if seen else pre).extend(ids)
            return pre, post
        raise NotImplementedError(f'post-processor {p["type"]}')

    # ---- encoding ------------------------------------------------------------------------------

    def encode(self, text, add_special_tokens=True):
        ids = []
        for segment, added_id in self._split_added(text):
            if added_id is not None:
                ids.append(added_id)
                continue
            for norm in self.normalizers:
                segment = norm(segment)
            pieces = [segment]
            for pre in self.pre_tokenizers:
                pieces = pre(pieces)
            for piece in pieces:
                if piece:
                    ids.extend(self._bpe(piece))
        return (self.prefix_ids + ids + self.suffix_ids) if add_special_tokens else ids

    def _split_added(self, text):
        if self.added_re is None:
            return [(text, None)] if text else []
        out, pos = [], 0
        for m in self.added_re.finditer(text):
            if m.start() > pos:
                out.append((text[pos : m.start()], None))
            out.append((m.group(), self.added[m.group()]))
            pos = m.end()
        if pos < len(text):
            out.append((text[pos:], None))
        return out

    def _bpe(self, word):
        if self.ignore_merges and word in self.vocab:
            return [self.vocab[word]]
        ids = []
        pending_unk = False
        for ch in word:
            if ch in self.vocab:
                ids.append(self.vocab[ch])
                pending_unk = False
                continue
            if self.byte_fallback:
                codes = [f'<0x{b:02X}>' for b in ch.encode('utf8')]
                if all(c in self.vocab for c in codes):
                    ids.extend(self.vocab[c] for c in codes)
                    pending_unk = False
                    continue
            if self.unk is None:
                raise ValueError(f'character {ch!r} has no token and there is no unk token')
            if not (self.fuse_unk and pending_unk):  # fuse_unk: consecutive unknowns become one <unk>
                ids.append(self.vocab[self.unk])
            pending_unk = True
        return merge(ids, self.merges)


def split(s, rx, behavior):
    """tokenizers' Split: Isolated keeps every match and every gap as its own piece;
    MergedWithPrevious appends each match to the piece before it."""
    segments, pos = [], 0  # (text, is_match), covering s
    for m in rx.finditer(s):
        if m.start() == m.end():
            continue  # none of these patterns can match empty; tokenizers skips such matches too
        if m.start() > pos:
            segments.append((s[pos : m.start()], False))
        segments.append((m.group(), True))
        pos = m.end()
    if pos < len(s):
        segments.append((s[pos:], False))
    if behavior == 'Isolated':
        return [t for t, _ in segments]
    # MergedWithPrevious (normalizer.rs): a match directly after a non-match joins that piece;
    # a match at the start or right after another match stands alone.
    out, previous_match = [], False
    for t, is_match in segments:
        if is_match and not previous_match and out:
            out[-1] += t
        else:
            out.append(t)
        previous_match = is_match
    return out


def merge(ids, merges):
    """Apply BPE merges to a symbol sequence the way tokenizers' Word::merge_all does: a heap of
    candidate pairs ordered by (rank, position); stale entries (a side already merged away, or
    the pair no longer producing the recorded token) are skipped; each merge pushes the new
    pairs it forms with its neighbours."""
    n = len(ids)
    if n < 2:
        return list(ids)
    sym = list(ids)
    prev = list(range(-1, n - 1))
    nxt = list(range(1, n + 1))
    alive = [True] * n
    heap = []
    for i in range(n - 1):
        m = merges.get((sym[i], sym[i + 1]))
        if m:
            heap.append((m[0], i, m[1]))
    heapq.heapify(heap)
    while heap:
        rank, i, new_id = heapq.heappop(heap)
        if not alive[i] or nxt[i] >= n:
            continue
        j = nxt[i]
        m = merges.get((sym[i], sym[j]))
        if m is None or m[1] != new_id:
            continue
        sym[i] = new_id
        alive[j] = False
        nxt[i] = nxt[j]
        if nxt[j] < n:
            prev[nxt[j]] = i
        if prev[i] >= 0:
            m = merges.get((sym[prev[i]], sym[i]))
            if m:
                heapq.heappush(heap, (m[0], prev[i], m[1]))
        if nxt[i] < n:
            m = merges.get((sym[i], sym[nxt[i]]))
            if m:
                heapq.heappush(heap, (m[0], i, m[1]))
    return [sym[i] for i in range(n) if alive[i]]


# ---- sentences file ----------------------------------------------------------------------------

_ESCAPE = regex.compile(r'\\(n|t|r|\\|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})')


def unescape(line):
    def sub(m):
        e = m.group(1)
        return {'n': '\n', 't': '\t', 'r': '\r', '\\': '\\'}.get(e) or chr(int(e[1:], 16))

    return _ESCAPE.sub(sub, line)


def read_sentences(path):
    """One sentence per line; '#' lines and empty lines are skipped. Escapes \\n \\t \\r \\\\ \\xHH
    \\uHHHH \\UHHHHHHHH stand for characters a text file would mangle or an editor strip
    (newlines, tabs, leading/trailing spaces, invisible code points); all other characters,
    non-ASCII included, are literal UTF-8."""
    out = []
    with open(path, encoding='utf8') as f:
        for raw in f:
            line = raw.rstrip('\n')
            if not line or line.startswith('#'):
                continue
            out.append(unescape(line))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('files', nargs='*')
    ap.add_argument('--text')
    ap.add_argument('--make-ids', action='store_true', help='files: SENTENCES OUT_JSON family=DIR ... (DIR holds tokenizer.json, tokenizer_config.json)')
    a = ap.parse_args()
    if a.make_ids:
        sentences_file, out_file, *families = a.files
        sentences = read_sentences(sentences_file)
        result = {}
        for fam in families:
            name, d = fam.split('=', 1)
            tok = Tokenizer(os.path.join(d, 'tokenizer.json'), os.path.join(d, 'tokenizer_config.json'))
            result[name] = [{'text': s, 'ids': tok.encode(s)} for s in sentences]
            print(f'{name}: {len(sentences)} sentences, {sum(len(r["ids"]) for r in result[name])} tokens', file=sys.stderr)
        with open(out_file, 'w', encoding='utf8') as f:
            # one record per line keeps diffs readable; ensure_ascii keeps invisible characters visible
            f.write('{\n')
            for k, (name, rows) in enumerate(result.items()):
                f.write(f'  {json.dumps(name)}: [\n')
                f.write(',\n'.join('    ' + json.dumps(r, ensure_ascii=True) for r in rows))
                f.write('\n  ]' + (',' if k + 1 < len(result) else '') + '\n')
            f.write('}\n')
        return
    tok = Tokenizer(a.files[0], a.files[1] if len(a.files) > 1 else None)
    print(tok.encode(a.text))


if __name__ == '__main__':
    main()
