/**
 * How systemd would start the kubelet: the unit file and its drop-ins (in systemd's search
 * order, a drop-in in /etc overriding one of the same name in /usr/lib), their `Environment=`
 * and `EnvironmentFile=` settings (kubeadm's /var/lib/kubelet/kubeadm-flags.env and
 * /etc/default/kubelet) and the last `ExecStart=`, with `$VAR` split into words and `${VAR}`
 * kept as one, as systemd.service(5) describes.
 */
import type { SourceLocation } from '../core/index.js';
import type { NodeFs } from './node-fs.js';

/** Directories systemd reads units from, highest priority first. */
export const UNIT_DIRS = [
  '/etc/systemd/system',
  '/run/systemd/system',
  '/usr/lib/systemd/system',
  '/lib/systemd/system',
];

/** A command line assembled from a unit, with where each word came from. */
export interface UnitCommand {
  /** The unit file the command came from (the main unit or a drop-in). */
  unitFile: string;
  /** Every file read, in order (unit, drop-ins, environment files). */
  files: string[];
  argv: string[];
  locations: SourceLocation[];
  env: { name: string; value: string }[];
}

interface Value {
  text: string;
  location: SourceLocation;
}

/** Splits a systemd command line or assignment list into words, honouring quotes. */
export function splitWords(s: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    if (quote) {
      if (c === '\\' && i + 1 < s.length) current += s.charAt(++i);
      else if (c === quote) quote = undefined;
      else current += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === ' ' || c === '\t') {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      if (c === '\\' && i + 1 < s.length) current += s.charAt(++i);
      else current += c;
      inWord = true;
    }
  }
  if (inWord) words.push(current);
  return words;
}

/** Parses `KEY=value` lines of an environment file (comments and blank lines ignored). */
export function parseEnvFile(text: string): { name: string; value: string; line: number }[] {
  const out: { name: string; value: string; line: number }[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const eq = line.indexOf('=');
    if (eq <= 0) return;
    const name = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0]))
      value = value.slice(1, -1);
    out.push({ name, value, line: i + 1 });
  });
  return out;
}

/** The `[Service]` entries of a unit file with their line numbers. */
function serviceEntries(text: string): { key: string; value: string; line: number }[] {
  const out: { key: string; value: string; line: number }[] = [];
  let section = '';
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = (lines[i] ?? '').trim();
    const start = i + 1;
    while (line.endsWith('\\') && i + 1 < lines.length)
      line = `${line.slice(0, -1)} ${(lines[++i] ?? '').trim()}`;
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    if (line.startsWith('[')) {
      section = line;
      continue;
    }
    if (section !== '[Service]') continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    out.push({ key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim(), line: start });
  }
  return out;
}

async function findUnitFiles(fs: NodeFs, unit: string): Promise<string[]> {
  const files: string[] = [];
  for (const dir of UNIT_DIRS) {
    const p = `${dir}/${unit}`;
    if ((await fs.lstat(p)) !== undefined) {
      files.push(p);
      break;
    }
  }
  const dropIns = new Map<string, string>();
  for (const dir of [...UNIT_DIRS].reverse()) {
    const d = `${dir}/${unit}.d`;
    for (const name of (await fs.readdir(d)) ?? [])
      if (name.endsWith('.conf')) dropIns.set(name, `${d}/${name}`);
  }
  for (const name of [...dropIns.keys()].sort()) {
    const p = dropIns.get(name);
    if (p) files.push(p);
  }
  return files;
}

function expand(word: Value, env: Map<string, Value>): Value[] {
  // `${VAR}` stays one word, `$VAR` alone becomes the variable's words.
  const whole = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(word.text);
  if (whole?.[1] !== undefined) {
    const v = env.get(whole[1]);
    return v ? splitWords(v.text).map((text) => ({ text, location: v.location })) : [];
  }
  const text = word.text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (_m, a: string | undefined, b: string | undefined) => env.get(a ?? b ?? '')?.text ?? '',
  );
  return [{ text, location: word.location }];
}

/** Assembles a unit's start command from its files on the node, or undefined without ExecStart. */
export async function readUnitCommand(fs: NodeFs, unit: string): Promise<UnitCommand | undefined> {
  const files = await findUnitFiles(fs, unit);
  const env = new Map<string, Value>();
  let exec: { value: string; file: string; line: number } | undefined;
  const read: string[] = [];
  const envFiles: string[] = [];
  for (const file of files) {
    const text = await fs.readFile(file);
    if (text === undefined) continue;
    read.push(file);
    for (const e of serviceEntries(text)) {
      if (e.key === 'Environment') {
        for (const assignment of splitWords(e.value)) {
          const eq = assignment.indexOf('=');
          if (eq > 0)
            env.set(assignment.slice(0, eq), {
              text: assignment.slice(eq + 1),
              location: { file, line: e.line, column: 1 },
            });
        }
      } else if (e.key === 'EnvironmentFile') {
        const envPath = e.value.startsWith('-') ? e.value.slice(1) : e.value;
        const envText = await fs.readFile(envPath);
        if (envText === undefined) continue;
        read.push(envPath);
        for (const v of parseEnvFile(envText))
          env.set(v.name, { text: v.value, location: { file: envPath, line: v.line, column: 1 } });
      } else if (e.key === 'ExecStart') {
        exec = e.value === '' ? undefined : { value: e.value, file, line: e.line };
      }
    }
  }
  // Variables from environment files override those of Environment= (systemd.exec(5)).
  for (const envPath of envFiles) {
    const envText = await fs.readFile(envPath);
    if (envText === undefined) continue;
    read.push(envPath);
    for (const v of parseEnvFile(envText))
      env.set(v.name, { text: v.value, location: { file: envPath, line: v.line, column: 1 } });
  }
  if (!exec) return undefined;
  const at = { file: exec.file, line: exec.line, column: 1 };
  const words = splitWords(exec.value.replace(/^[-@:+!]+/, '')).flatMap((text) =>
    expand({ text, location: at }, env),
  );
  return {
    unitFile: exec.file,
    files: read,
    argv: words.map((w) => w.text),
    locations: words.map((w) => w.location),
    env: [...env.entries()].map(([name, v]) => ({ name, value: v.text })),
  };
}
