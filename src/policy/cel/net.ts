/** IP addresses and CIDR prefixes as the Kubernetes CEL `ip` and `cidr` libraries define them. */

/** A parsed IP address: family 4 or 6 and its value as a bigint. */
export class IPAddr {
  constructor(
    readonly family: 4 | 6,
    readonly value: bigint,
  ) {}

  get bits(): number {
    return this.family === 4 ? 32 : 128;
  }

  toString(): string {
    if (this.family === 4) {
      const v = Number(this.value);
      return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
    }
    const groups: number[] = [];
    for (let i = 7; i >= 0; i--) groups.push(Number((this.value >> BigInt(i * 16)) & 0xffffn));
    // Longest run of zero groups (length >= 2) becomes "::" (RFC 5952).
    let best = -1;
    let bestLen = 1;
    for (let i = 0; i < 8;) {
      if (groups[i] !== 0) {
        i++;
        continue;
      }
      let j = i;
      while (j < 8 && groups[j] === 0) j++;
      if (j - i > bestLen) {
        best = i;
        bestLen = j - i;
      }
      i = j;
    }
    const hex = groups.map((g) => g.toString(16));
    if (best < 0) return hex.join(':');
    return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
  }

  isUnspecified(): boolean {
    return this.value === 0n;
  }
  isLoopback(): boolean {
    return this.family === 4 ? this.value >> 24n === 127n : this.value === 1n;
  }
  isLinkLocalMulticast(): boolean {
    return this.family === 4 ? this.value >> 8n === 0xe00000n : this.value >> 112n === 0xff02n;
  }
  isLinkLocalUnicast(): boolean {
    return this.family === 4 ? this.value >> 16n === 0xa9fen : this.value >> 118n === 0x3fan;
  }
  isGlobalUnicast(): boolean {
    if (this.isUnspecified() || this.isLoopback() || this.isLinkLocalUnicast() || this.isLinkLocalMulticast())
      return false;
    if (this.family === 4) return this.value !== 0xffffffffn && this.value >> 28n !== 0xen;
    return this.value >> 120n !== 0xffn;
  }
}

/** A parsed CIDR prefix. */
export class CIDR {
  constructor(
    readonly ip: IPAddr,
    readonly prefixLength: number,
  ) {}

  masked(): CIDR {
    const host = BigInt(this.ip.bits - this.prefixLength);
    return new CIDR(new IPAddr(this.ip.family, (this.ip.value >> host) << host), this.prefixLength);
  }

  containsIP(ip: IPAddr): boolean {
    if (ip.family !== this.ip.family) return false;
    const host = BigInt(this.ip.bits - this.prefixLength);
    return ip.value >> host === this.ip.value >> host;
  }

  containsCIDR(o: CIDR): boolean {
    return o.ip.family === this.ip.family && o.prefixLength >= this.prefixLength && this.containsIP(o.ip);
  }

  toString(): string {
    return `${this.ip.toString()}/${this.prefixLength}`;
  }
}

function parseV4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    // Leading zeros are rejected (ambiguous octal), as Kubernetes does.
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return undefined;
    v = (v << 8n) | BigInt(p);
  }
  return v;
}

function parseV6(s: string): bigint | undefined {
  if (s.includes('%')) return undefined; // zones are not allowed
  let tail4: bigint | undefined;
  let str = s;
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    tail4 = parseV4(s.slice(lastColon + 1));
    if (tail4 === undefined) return undefined;
    str = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const halves = str.split('::');
  if (halves.length > 2) return undefined;
  const parse = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0] ?? '');
  const tail = halves.length === 2 ? parse(halves[1] ?? '') : [];
  if (!head || !tail) return undefined;
  const groups =
    halves.length === 2
      ? head.length + tail.length >= 8
        ? undefined
        : [...head, ...Array<number>(8 - head.length - tail.length).fill(0), ...tail]
      : head;
  if (groups?.length !== 8) return undefined;
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(g);
  if (tail4 !== undefined) v = ((v >> 32n) << 32n) | tail4;
  return v;
}

/** Parses an IPv4 or IPv6 address; IPv4-mapped IPv6 addresses are rejected as Kubernetes does. */
export function parseIP(s: string): IPAddr | string {
  if (!s.includes(':')) {
    const v = parseV4(s);
    return v === undefined ? `IP Address "${s}" parse error during conversion from string` : new IPAddr(4, v);
  }
  const v = parseV6(s);
  if (v === undefined) return `IP Address "${s}" parse error during conversion from string`;
  if (v >> 32n === 0xffffn) return `IPv4-mapped IPv6 address "${s}" is not allowed`;
  return new IPAddr(6, v);
}

/** Parses a CIDR prefix such as `10.0.0.0/8`. */
export function parseCIDR(s: string): CIDR | string {
  const i = s.indexOf('/');
  if (i < 0) return `network address parse error during conversion from string: invalid CIDR address: ${s}`;
  const ip = parseIP(s.slice(0, i));
  const lenText = s.slice(i + 1);
  if (typeof ip === 'string' || !/^(0|[1-9]\d{0,2})$/.test(lenText) || Number(lenText) > ip.bits)
    return `network address parse error during conversion from string: invalid CIDR address: ${s}`;
  return new CIDR(ip, Number(lenText));
}
