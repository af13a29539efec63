/**
 * A small reader for protobuf text format, enough for the cel-spec conformance files:
 * messages (`name { … }` / `name: { … }`), scalars, enums, repeated fields, `[...]` lists,
 * `[type.url] { … }` Any expansions and `#` comments. Repeated fields become arrays.
 */

/** A parsed text-format value. */
export type TextValue = string | number | bigint | boolean | TextMessage | TextValue[];

/** A parsed message: every field name maps to the list of its occurrences. */
export interface TextMessage {
  [field: string]: TextValue[];
}

class Reader {
  pos = 0;
  constructor(readonly src: string) {}

  skip(): void {
    for (;;) {
      const c = this.src[this.pos];
      if (c === '#') {
        while (this.pos < this.src.length && this.src[this.pos] !== '\n') this.pos++;
      } else if (c === ' ' || c === '\n' || c === '\t' || c === '\r' || c === ',' || c === ';') this.pos++;
      else return;
    }
  }

  peek(): string | undefined {
    this.skip();
    return this.src[this.pos];
  }

  fail(msg: string): never {
    const line = this.src.slice(0, this.pos).split('\n').length;
    throw new Error(`textproto: ${msg} at line ${line}`);
  }

  ident(): string {
    this.skip();
    if (this.src[this.pos] === '[') {
      const end = this.src.indexOf(']', this.pos);
      const name = this.src.slice(this.pos, end + 1);
      this.pos = end + 1;
      return name;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(this.src.slice(this.pos, this.pos + 200));
    if (!m) this.fail('expected a field name');
    this.pos += m[0].length;
    return m[0];
  }

  message(close: string | undefined): TextMessage {
    const msg: TextMessage = {};
    for (;;) {
      const c = this.peek();
      if (c === undefined) {
        if (close !== undefined) this.fail('unexpected end of input');
        return msg;
      }
      if (c === close) {
        this.pos++;
        return msg;
      }
      const name = this.ident();
      let c2 = this.peek();
      if (c2 === ':') {
        this.pos++;
        c2 = this.peek();
      }
      const values = this.fieldValue(c2);
      (msg[name] ??= []).push(...values);
    }
  }

  fieldValue(c: string | undefined): TextValue[] {
    if (c === '{' || c === '<') {
      this.pos++;
      return [this.message(c === '{' ? '}' : '>')];
    }
    if (c === '[') {
      this.pos++;
      const out: TextValue[] = [];
      while (this.peek() !== ']') out.push(...this.fieldValue(this.peek()));
      this.pos++;
      return out;
    }
    return [this.scalar()];
  }

  scalar(): TextValue {
    this.skip();
    const c = this.src[this.pos];
    if (c === '"' || c === "'") {
      // Adjacent string literals concatenate.
      const parts: number[] = [];
      while (this.peek() === '"' || this.peek() === "'") parts.push(...this.stringBytes());
      // Kept as a binary string (one char per byte): bytes fields need the raw bytes.
      return String.fromCharCode(...parts);
    }
    const m = /^[-+]?[A-Za-z0-9_.+-]+/.exec(this.src.slice(this.pos, this.pos + 100));
    if (!m) this.fail('expected a value');
    this.pos += m[0].length;
    const t = m[0];
    if (t === 'true' || t === 'True') return true;
    if (t === 'false' || t === 'False') return false;
    if (/^[-+]?\d+$/.test(t)) {
      const b = BigInt(t);
      return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
    }
    if (/^[-+]?0x[0-9a-fA-F]+$/.test(t)) return BigInt(t);
    if (/^[-+]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
    if (/^nan$/i.test(t)) return NaN;
    if (/^[-+]?[\d.]+(e[-+]?\d+)?f?$/i.test(t)) return Number(t.replace(/f$/i, ''));
    return t; // enum identifier
  }

  /** Reads one quoted string as raw bytes (text-format escapes are byte-oriented). */
  stringBytes(): number[] {
    const q = this.src[this.pos];
    this.pos++;
    const out: number[] = [];
    const enc = new TextEncoder();
    while (this.src[this.pos] !== q) {
      if (this.pos >= this.src.length) this.fail('unterminated string');
      const c = this.src[this.pos] ?? '';
      if (c !== '\\') {
        const cp = this.src.codePointAt(this.pos) ?? 0;
        const ch = String.fromCodePoint(cp);
        out.push(...enc.encode(ch));
        this.pos += ch.length;
        continue;
      }
      const e = this.src[this.pos + 1] ?? '';
      this.pos += 2;
      const simple: Record<string, number> = {
        n: 10,
        t: 9,
        r: 13,
        a: 7,
        b: 8,
        f: 12,
        v: 11,
        '\\': 92,
        "'": 39,
        '"': 34,
        '?': 63,
      };
      if (e in simple) out.push(simple[e] ?? 0);
      else if (e === 'x' || e === 'X') {
        const m = /^[0-9a-fA-F]{1,2}/.exec(this.src.slice(this.pos, this.pos + 2));
        out.push(parseInt(m?.[0] ?? '0', 16));
        this.pos += m?.[0].length ?? 0;
      } else if (/[0-7]/.test(e)) {
        const m = /^[0-7]{0,2}/.exec(this.src.slice(this.pos, this.pos + 2));
        out.push(parseInt(e + (m?.[0] ?? ''), 8) & 0xff);
        this.pos += m?.[0].length ?? 0;
      } else if (e === 'u' || e === 'U') {
        const n = e === 'u' ? 4 : 8;
        const cp = parseInt(this.src.slice(this.pos, this.pos + n), 16);
        this.pos += n;
        out.push(...enc.encode(String.fromCodePoint(cp)));
      } else this.fail(`unknown escape \\${e}`);
    }
    this.pos++;
    return out;
  }
}

/** Decodes a quoted text-format value (a binary string) as UTF-8 text. */
export function utf8(v: TextValue | undefined): string {
  return typeof v === 'string'
    ? Buffer.from(v, 'latin1').toString('utf8')
    : JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}

/** The raw bytes of a quoted text-format value. */
export function rawBytes(v: TextValue | undefined): Uint8Array {
  return Uint8Array.from(Buffer.from(typeof v === 'string' ? v : '', 'latin1'));
}

/** Parses a whole text-format document into a message. */
export function parseTextProto(src: string): TextMessage {
  return new Reader(src).message(undefined);
}

/** The first value of a field, if present. */
export function first(msg: TextMessage, field: string): TextValue | undefined {
  return msg[field]?.[0];
}

/** The first value of a field as a message, if it is one. */
export function firstMessage(msg: TextMessage, field: string): TextMessage | undefined {
  const v = first(msg, field);
  return isMessage(v) ? v : undefined;
}

/** Returns true when the value is a message. */
export function isMessage(v: TextValue | undefined): v is TextMessage {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
