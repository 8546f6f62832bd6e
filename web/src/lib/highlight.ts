export interface Segment {
  text: string;
  match: boolean;
}

// The words of a search, as the log search reads them: split on spaces, case-insensitive.
export function searchWords(query: string): string[] {
  return [
    ...new Set(
      query
        .trim()
        .toLowerCase()
        .split(/\s+/)
        .filter((word) => word !== ""),
    ),
  ];
}

// Splits text into plain and matching runs for <mark>; overlapping and adjacent matches merge into one.
export function highlightSegments(text: string, query: string): Segment[] {
  const words = searchWords(query);
  if (words.length === 0 || text === "") return [{ text, match: false }];
  const lower = text.toLowerCase();
  const marked = new Uint8Array(text.length);
  for (const word of words) {
    let from = lower.indexOf(word);
    while (from !== -1) {
      marked.fill(1, from, from + word.length);
      from = lower.indexOf(word, from + 1);
    }
  }
  const segments: Segment[] = [];
  let start = 0;
  for (let i = 1; i <= text.length; i++) {
    if (i === text.length || marked[i] !== marked[start]) {
      segments.push({ text: text.slice(start, i), match: marked[start] === 1 });
      start = i;
    }
  }
  return segments;
}
