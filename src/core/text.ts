// Linear string helpers for the trims that a regex like /x+$/ would do in quadratic time
// (a regex engine retries the quantifier from every start position of a long run).

/** Which characters a trim removes: the characters of a string, or a predicate. */
export type CharSet = string | ((ch: string) => boolean);

function matcher(chars: CharSet): (ch: string) => boolean {
  return typeof chars === 'string' ? (ch) => chars.includes(ch) : chars;
}

/** Removes the characters of `chars` from the end of `s`. */
export function trimEndChars(s: string, chars: CharSet): string {
  const test = matcher(chars);
  let end = s.length;
  while (end > 0 && test(s.charAt(end - 1))) end--;
  return end === s.length ? s : s.slice(0, end);
}

/** Removes the characters of `chars` from the start of `s`. */
export function trimStartChars(s: string, chars: CharSet): string {
  const test = matcher(chars);
  let start = 0;
  while (start < s.length && test(s.charAt(start))) start++;
  return start === 0 ? s : s.slice(start);
}

/** Removes the characters of `chars` from both ends of `s`. */
export function trimChars(s: string, chars: CharSet): string {
  return trimStartChars(trimEndChars(s, chars), chars);
}

/** Whether `code` is a character that a regex `\s` matches. */
export function isRegexSpace(code: number): boolean {
  return (
    (code >= 9 && code <= 13) ||
    code === 32 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

// C0 and C1 control characters other than tab, newline and carriage return: an object name
// carrying ESC could otherwise repaint the reader's terminal or a viewer of a CSV file.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;

/** Replaces control characters (ANSI escapes included) by U+FFFD; tab, LF and CR stay. */
export function neutraliseControls(s: string): string {
  return s.replace(CONTROL_CHARACTERS, '\uFFFD');
}

/**
 * One CSV cell per RFC 4180, safe to open in a spreadsheet: control characters are
 * neutralised and a cell that a spreadsheet would run as a formula (leading `=`, `+`, `-`,
 * `@`, tab or CR) gets a leading apostrophe. Values come from manifests: attacker-controlled.
 */
export function csvCell(value: string): string {
  const clean = neutraliseControls(value);
  const safe = /^[=+\-@\t\r]/.test(clean) ? `'${clean}` : clean;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
