import type { InputIssue, SourceLocation } from '../core/index.js';

// XML 1.0 forbids most C0 controls, lone surrogates and U+FFFE/U+FFFF even as character
// references, so they are replaced rather than escaped.
const XML_INVALID =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Escapes text for XML element content and attribute values (both quote styles). */
export function escapeXml(s: string): string {
  return s
    .replace(XML_INVALID, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}

/** Escapes XML and also keeps newlines inside attribute values (parsers normalise raw ones to spaces). */
export function escapeXmlAttribute(s: string): string {
  return escapeXml(s).replace(/\n/g, '&#10;');
}

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

// C0 and C1 controls other than newline: a manifest value carrying ESC could otherwise
// repaint or hide lines of the reader's terminal.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const TERMINAL_UNSAFE = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/g;

/** Replaces terminal control characters and indents continuation lines by `indent`. */
export function sanitizeTerminal(s: string, indent = ''): string {
  return s.replace(/\r\n?/g, '\n').replace(TERMINAL_UNSAFE, '\uFFFD').replace(/\n/g, `\n${indent}`);
}

/** Formats `file:line:column`, leaving out what is unknown. */
export function formatPosition(loc: SourceLocation | InputIssue): string {
  if (loc.line === undefined) return loc.file;
  if (loc.column === undefined) return `${loc.file}:${loc.line}`;
  return `${loc.file}:${loc.line}:${loc.column}`;
}

/** Turns a title into a PascalCase identifier, e.g. `Privileged container` to `PrivilegedContainer`. */
export function pascalCase(s: string): string {
  return s
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== '')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}
