import type { ArchivedLog } from "./chunk-codec";

// The archive's log search means what the D1 path's FTS5 query means (toFtsQuery in worker/ledger/run-reads.ts
// over logs_fts with the default unicode61 tokenizer), so a search answers the same lines wherever a job's
// logs live: every word must match, in the message or the serial, the last one as a prefix. A word is a
// phrase of tokens (runs of letters, digits and nonspacing marks, case-folded, Latin diacritics removed)
// that must follow each other in one column; a word with no token in it is left out, and when no word is
// left nothing matches, as FTS5 does.

interface Phrase {
  tokens: string[];
  prefix: boolean;
}

const TOKEN = /[\p{L}\p{N}\p{Co}\p{Mn}]+/gu;

export function searchTokens(text: string): string[] {
  return (text.match(TOKEN) ?? []).map(fold);
}

function fold(token: string): string {
  return token
    .toLowerCase()
    .normalize("NFD")
    .replace(/(\p{Script=Latin})\p{Mn}+/gu, "$1");
}

/** null when the text holds no word, so there is nothing to filter by (as toFtsQuery's null). */
export function logSearchMatcher(text: string): ((line: ArchivedLog) => boolean) | null {
  const words = text.split(/\s+/).filter((word) => word.length > 0);
  if (words.length === 0) return null;
  const phrases: Phrase[] = words
    .map((word, i) => ({ tokens: searchTokens(word), prefix: i === words.length - 1 }))
    .filter((phrase) => phrase.tokens.length > 0);
  if (phrases.length === 0) return () => false;
  return (line) => {
    const columns = line.serial === null ? [searchTokens(line.message)] : [searchTokens(line.message), searchTokens(line.serial)];
    return phrases.every((phrase) => columns.some((tokens) => holdsPhrase(tokens, phrase)));
  };
}

function holdsPhrase(tokens: readonly string[], phrase: Phrase): boolean {
  const last = phrase.tokens.length - 1;
  for (let start = 0; start + last < tokens.length; start += 1) {
    let matched = true;
    for (let k = 0; k <= last && matched; k += 1) {
      const token = tokens[start + k]!;
      const wanted = phrase.tokens[k]!;
      matched = k === last && phrase.prefix ? token.startsWith(wanted) : token === wanted;
    }
    if (matched) return true;
  }
  return false;
}
