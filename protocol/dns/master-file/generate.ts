/**
 * BIND's `$GENERATE` directive (a BIND extension, also read by Knot):
 *
 *   $GENERATE <start>-<stop>[/<step>] <lhs> [<ttl>] [<class>] <type> <rhs>
 *
 * For each value of the iterator, `$` in `lhs` and `rhs` becomes the value, `${offset}`,
 * `${offset,width}` or `${offset,width,base}` the value plus offset, zero-padded to
 * width, in base d, o, x or X; `\$` is a literal `$`. Nibble bases (n, N) are not
 * supported. This file expands one template; the parser reads the results as records.
 */

/** Values one `$GENERATE` may produce. */
export const GENERATE_COUNT_MAX = 65_536;

export interface GenerateRange {
  readonly start: number;
  readonly stop: number;
  readonly step: number;
}

/** `start-stop[/step]`, with start ≤ stop and at most `GENERATE_COUNT_MAX` values; else a reason. */
export function parseGenerateRange(text: string): GenerateRange | string {
  const match = /^([0-9]{1,10})-([0-9]{1,10})(?:\/([0-9]{1,10}))?$/.exec(text);
  if (match === null) return `'${text}' is not a range start-stop[/step]`;
  const start = Number(match[1]);
  const stop = Number(match[2]);
  const step = match[3] === undefined ? 1 : Number(match[3]);
  if (start > stop) return `range start ${start} is above stop ${stop}`;
  if (step < 1) return 'range step must be at least 1';
  if (Math.floor((stop - start) / step) + 1 > GENERATE_COUNT_MAX)
    return `range of more than ${GENERATE_COUNT_MAX} values`;
  return { start, stop, step };
}

const BASES: Readonly<Record<string, (n: number) => string>> = {
  d: (n) => n.toString(10),
  o: (n) => n.toString(8),
  x: (n) => n.toString(16),
  X: (n) => n.toString(16).toUpperCase(),
};

/** `template` with the iterator substituted, or a reason it cannot be. */
export function substitute(template: string, value: number): string | { readonly error: string } {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i] as string;
    if (c === '\\' && template[i + 1] === '$') {
      out += '$';
      i++;
    } else if (c === '\\') {
      out += c + (template[i + 1] ?? '');
      i++;
    } else if (c !== '$') out += c;
    else if (template[i + 1] === '{') {
      const end = template.indexOf('}', i + 2);
      if (end < 0) return { error: `'\${' without '}' in '${template}'` };
      const match = /^(-?[0-9]{1,10})(?:,([0-9]{1,3})(?:,([doxX]))?)?$/.exec(template.slice(i + 2, end));
      if (match === null)
        return { error: `bad modifier '${template.slice(i, end + 1)}' (nibble bases are not supported)` };
      const shifted = value + Number(match[1]);
      if (shifted < 0) return { error: `offset makes ${value} negative` };
      const format = BASES[match[3] ?? 'd'] as (n: number) => string;
      out += format(shifted).padStart(Number(match[2] ?? 0), '0');
      i = end;
    } else out += String(value);
  }
  return out;
}
