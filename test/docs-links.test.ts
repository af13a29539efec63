import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// Issue #20 (docs): docs/scan.md linked to a report-formats.md that did not exist, and
// docs/policy.md said transformList was unavailable while it works. Every relative link of the
// README and docs/ must name a file that exists.

const repo = path.resolve(import.meta.dirname, '..');

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return markdownFiles(p);
    return e.name.endsWith('.md') ? [p] : [];
  });
}

/** Relative link targets of a Markdown text (inline links and images), without anchors. */
function relativeLinks(text: string): { target: string; line: number }[] {
  const out: { target: string; line: number }[] = [];
  text.split('\n').forEach((line, i) => {
    for (const m of line.matchAll(/\]\(([^()\s]+)\)/g)) {
      const raw = m[1] ?? '';
      if (/^[a-z][a-z+.-]*:/i.test(raw) || raw.startsWith('#')) continue;
      out.push({ target: raw.split('#')[0] ?? raw, line: i + 1 });
    }
  });
  return out;
}

const files = [path.join(repo, 'README.md'), ...markdownFiles(path.join(repo, 'docs'))];

describe('documentation links', () => {
  it.each(files.map((f) => [path.relative(repo, f), f] as const))(
    '%s links only to files that exist',
    (_n, file) => {
      const missing = relativeLinks(readFileSync(file, 'utf8'))
        .filter((l) => !existsSync(path.resolve(path.dirname(file), decodeURIComponent(l.target))))
        .map((l) => `${path.relative(repo, file)}:${l.line}: ${l.target}`);
      expect(missing).toEqual([]);
    },
  );

  it('docs/scan.md points at the report formats page, which exists', () => {
    expect(readFileSync(path.join(repo, 'docs/scan.md'), 'utf8')).toContain('(report-formats.md)');
    expect(existsSync(path.join(repo, 'docs/report-formats.md'))).toBe(true);
  });

  it('docs/policy.md does not call transformList unavailable', () => {
    // Sentences wrap: judge each paragraph (list item) that names transformList as a whole.
    const text = readFileSync(path.join(repo, 'docs/policy.md'), 'utf8');
    const paragraphs = text.split(/\n(?=\s*(?:- |\n))/).filter((p) => p.includes('transformList'));
    expect(paragraphs.length).toBeGreaterThan(0);
    const denying = paragraphs.filter((p) =>
      /transformList[^.;]*\bare not\b|transformList[^.;]*(?:unavailable|not (?:yet )?(?:available|supported))/i.test(
        p.replace(/\s+/g, ' '),
      ),
    );
    expect(denying).toEqual([]);
  });
});
