/**
 * Domain names (RFC 1034 §3.1, RFC 1035 §2.3.4 and §3.1).
 *
 * A `Name` is always valid and always absolute: a list of labels, most specific first,
 * without the empty root label. A label is a string of octets, held as a JS string whose
 * every character is 0x00–0xFF (one character per octet), so labels compare and hash
 * cheaply and any octet, even `.` or NUL, can appear in one (RFC 2181 §11).
 *
 * Limits: a label has 1–63 octets; the wire form (each label with its length octet, plus
 * the root's zero octet) has at most 255 octets.
 *
 * Case (RFC 4343): names keep the case they were given, and compare case-insensitively on
 * ASCII letters only (octets 0x41–0x5A fold to 0x61–0x7A; no other octet folds, so this is
 * not `toLowerCase`). `key` is the canonical lowercase text, for use as a map key.
 *
 * Presentation format (RFC 1035 §5.1): labels separated by `.`, `\.` a literal dot, `\X`
 * the character X, `\DDD` the octet with decimal value DDD. Characters outside ASCII are
 * taken as their UTF-8 octets. Printing escapes every octet outside 0x21–0x7E as `\DDD` and
 * the characters `. \ " ( ) ; @ $` with a backslash, so printing then parsing gives back the
 * same octets.
 */

export const MAX_LABEL_OCTETS = 63;
export const MAX_NAME_OCTETS = 255;

export type NameProblem =
  | 'empty'
  | 'empty-label'
  | 'label-too-long'
  | 'name-too-long'
  | 'bad-escape'
  | 'bad-octet'
  | 'no-origin';

export class NameError extends Error {
  constructor(
    readonly problem: NameProblem,
    /** The text or label being read, for the message and for logs. */
    readonly input: string,
    message: string,
  ) {
    super(message);
    this.name = 'NameError';
  }
}

const UPPER = /[A-Z]/;
const UPPER_ALL = /[A-Z]/g;
/** Any UTF-16 unit above 0xFF: not an octet. */
const HIGH_OCTET = /[\u0100-\uffff]/;

/** Folds ASCII A–Z only (RFC 4343 §3): an octet string stays an octet string. */
export function lowercaseAscii(s: string): string {
  return UPPER.test(s) ? s.replace(UPPER_ALL, (c) => String.fromCharCode(c.charCodeAt(0) | 0x20)) : s;
}

/** Characters with a meaning in master files (RFC 1035 §5.1), escaped with a backslash. */
const SPECIAL = new Set(['.', '\\', '"', '(', ')', ';', '@', '$']);

/** A label octet that prints escaped: outside 0x21–0x7E, or one of SPECIAL. */
const NEEDS_ESCAPE = /[^\x21-\x7e]|[.\\"();@$]/;

function labelToText(label: string): string {
  // Most labels print as they are (letters, digits, hyphens): no per-octet walk for those.
  if (!NEEDS_ESCAPE.test(label)) return label;
  let text = '';
  for (let i = 0; i < label.length; i++) {
    const c = label.charCodeAt(i);
    const ch = label[i] as string;
    if (c < 0x21 || c > 0x7e) text += '\\' + String(c).padStart(3, '0');
    else if (SPECIAL.has(ch)) text += '\\' + ch;
    else text += ch;
  }
  return text;
}

const utf8 = new TextEncoder();

export class Name {
  /** Octet-string labels, most specific first; the root label is implied. */
  readonly labels: readonly string[];
  /** Octets of the uncompressed wire form, 1 ..= 255. */
  readonly wireLength: number;
  #lowerLabels: readonly string[] | undefined;
  #key: string | undefined;
  #suffixKeys: readonly string[] | undefined;

  private constructor(labels: readonly string[], wireLength: number) {
    this.labels = labels;
    this.wireLength = wireLength;
  }

  static readonly ROOT: Name = new Name([], 1);

  /**
   * A name from its labels (most specific first, no root label). A string label must hold
   * octets only (characters 0x00–0xFF). Throws `NameError` on an empty or over-long label or
   * an over-long name.
   */
  static fromLabels(labels: ReadonlyArray<string | Uint8Array>): Name {
    if (labels.length === 0) return Name.ROOT;
    // Sized exactly: every Name keeps its labels (protocol/exact-array.ts).
    const octets = new Array<string>(labels.length);
    let wireLength = 1;
    for (let i = 0; i < labels.length; i++) {
      const raw = labels[i] as string | Uint8Array;
      const label = typeof raw === 'string' ? raw : String.fromCharCode(...raw);
      if (label.length === 0) throw new NameError('empty-label', label, 'a label must not be empty');
      if (label.length > MAX_LABEL_OCTETS)
        throw new NameError('label-too-long', label, `label of ${label.length} octets (max 63)`);
      if (HIGH_OCTET.test(label))
        throw new NameError('bad-octet', label, 'a label string must hold octets (characters 0x00-0xFF)');
      wireLength += label.length + 1;
      octets[i] = label;
    }
    if (wireLength > MAX_NAME_OCTETS)
      throw new NameError('name-too-long', octets.join('.'), `name of ${wireLength} octets (max 255)`);
    return new Name(octets, wireLength);
  }

  /**
   * Parses presentation format. A name ending in an unescaped `.` is absolute; any other
   * name is relative to `origin`, or taken as absolute when no origin is given. `@` alone is
   * the origin. Throws `NameError`; see `parseName` for a result value instead.
   */
  static parse(text: string, origin?: Name): Name {
    if (text === '.') return Name.ROOT;
    if (text === '') throw new NameError('empty', text, 'a name must not be empty');
    if (text === '@') {
      if (origin === undefined) throw new NameError('no-origin', text, '`@` needs an origin');
      return origin;
    }
    const labels: string[] = [];
    let label = '';
    let absolute = false;
    let i = 0;
    while (i < text.length) {
      const ch = text[i] as string;
      if (ch === '.') {
        if (label === '') throw new NameError('empty-label', text, `empty label at character ${i}`);
        labels.push(label);
        label = '';
        absolute = i === text.length - 1;
        i++;
      } else if (ch === '\\') {
        const escaped = readEscape(text, i);
        label += escaped.octets;
        i = escaped.next;
      } else {
        const cp = text.codePointAt(i) as number;
        const width = cp > 0xffff ? 2 : 1;
        label += cp < 0x80 ? ch : String.fromCharCode(...utf8.encode(text.slice(i, i + width)));
        i += width;
      }
    }
    if (label !== '') labels.push(label);
    const parsed = Name.fromLabels(labels);
    if (absolute || origin === undefined || origin.isRoot) return parsed;
    return Name.fromLabels([...parsed.labels, ...origin.labels]);
  }

  get labelCount(): number {
    return this.labels.length;
  }

  get isRoot(): boolean {
    return this.labels.length === 0;
  }

  /** Labels with ASCII letters folded to lowercase. */
  get lowercaseLabels(): readonly string[] {
    this.#lowerLabels ??= this.labels.map(lowercaseAscii);
    return this.#lowerLabels;
  }

  /**
   * For each label i, the exact (case-kept) wire form of the name from label i on, as an
   * octet string: the compression dictionary's keys. Cached, since zone data reuses names.
   */
  get suffixKeys(): readonly string[] {
    if (this.#suffixKeys === undefined) {
      const keys: string[] = new Array(this.labels.length);
      let key = '';
      for (let i = this.labels.length - 1; i >= 0; i--) {
        const label = this.labels[i] as string;
        key = String.fromCharCode(label.length) + label + key;
        keys[i] = key;
      }
      this.#suffixKeys = keys;
    }
    return this.#suffixKeys;
  }

  /** The canonical lowercase presentation text (`www.example.com.`): equal keys ⇔ equal names. */
  get key(): string {
    this.#key ??= namesToText(this.lowercaseLabels);
    return this.#key;
  }

  /** Case-insensitive equality (RFC 4343). */
  equals(other: Name): boolean {
    return this === other || (this.wireLength === other.wireLength && this.key === other.key);
  }

  /** True when this name is `other` or below it (so every name is a subdomain of the root). */
  isSubdomainOf(other: Name): boolean {
    const skip = this.labels.length - other.labels.length;
    if (skip < 0) return false;
    const mine = this.lowercaseLabels;
    const theirs = other.lowercaseLabels;
    for (let i = 0; i < theirs.length; i++) {
      if (mine[skip + i] !== theirs[i]) return false;
    }
    return true;
  }

  /**
   * The name one label up; the root has no parent. What this name already computed of its
   * lowercase labels and key carries over (a zone walk asks the parents' keys in turn).
   */
  parent(): Name | undefined {
    if (this.labels.length === 0) return undefined;
    if (this.labels.length === 1) return Name.ROOT;
    const first = this.labels[0] as string;
    const up = new Name(this.labels.slice(1), this.wireLength - first.length - 1);
    const lower = this.#lowerLabels;
    if (lower !== undefined) {
      up.#lowerLabels = lower.slice(1);
      if (this.#key !== undefined) up.#key = this.#key.slice(labelToText(lower[0] as string).length + 1);
    }
    return up;
  }

  /** The name with `label` (octets, or text with escapes if `parse` is wanted) prepended. */
  child(label: string): Name {
    return Name.fromLabels([label, ...this.labels]);
  }

  /** Presentation format, absolute (`www.example.com.`; the root is `.`). */
  toString(): string {
    return namesToText(this.labels);
  }
}

function namesToText(labels: readonly string[]): string {
  if (labels.length === 0) return '.';
  let text = '';
  for (const label of labels) text += labelToText(label) + '.';
  return text;
}

/** Reads the escape starting at `text[at]` (a backslash): `\DDD` or `\X`. */
function readEscape(text: string, at: number): { octets: string; next: number } {
  const first = text[at + 1];
  if (first === undefined) throw new NameError('bad-escape', text, 'a backslash ends the name');
  if (first >= '0' && first <= '9') {
    const digits = text.slice(at + 1, at + 4);
    if (!/^[0-9]{3}$/.test(digits))
      throw new NameError('bad-escape', text, `\\DDD needs three digits at character ${at}`);
    const value = Number(digits);
    if (value > 0xff) throw new NameError('bad-escape', text, `\\${digits} is not an octet`);
    return { octets: String.fromCharCode(value), next: at + 4 };
  }
  const cp = text.codePointAt(at + 1) as number;
  const width = cp > 0xffff ? 2 : 1;
  const ch = text.slice(at + 1, at + 1 + width);
  return { octets: cp < 0x80 ? ch : String.fromCharCode(...utf8.encode(ch)), next: at + 1 + width };
}

/** `Name.parse` as a result value. */
export function parseName(
  text: string,
  origin?: Name,
): { readonly ok: true; readonly name: Name } | { readonly ok: false; readonly error: NameError } {
  try {
    return { ok: true, name: Name.parse(text, origin) };
  } catch (error) {
    if (error instanceof NameError) return { ok: false, error };
    throw error;
  }
}

/** A name as an operator or a tool writes it, made absolute: the final dot is often left off. */
export function withFinalDot(text: string): string {
  return text.endsWith('.') ? text : `${text}.`;
}

/**
 * A name read from stored or received data (a bucket record, a request body), with or
 * without its final dot: the name, or a message naming `what` was wrong. Never throws.
 */
export function parseStoredName(text: unknown, what: string): Name | string {
  if (typeof text !== 'string' || text.length === 0 || text.length > 1024) return `${what} must be a name`;
  const parsed = parseName(withFinalDot(text));
  return parsed.ok ? parsed.name : `${what} ${JSON.stringify(text)}: ${parsed.error.message}`;
}
