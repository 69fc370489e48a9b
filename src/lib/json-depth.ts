/**
 * Whether JSON text nests arrays and objects more than `limit` deep, found by one pass over the
 * characters (string contents skipped), without parsing and without recursion: whatever walks a
 * parsed value later (a recursive check, a validator, a serializer) could overflow the stack on
 * a body of 64 KB that nests 30,000 deep. Meant for text about to be parsed: malformed JSON may
 * be counted wrongly, and is refused by the parser anyway.
 */
export function jsonNestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash: the next character is escaped, even a quote
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}
