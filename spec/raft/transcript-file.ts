/**
 * The transcript file format (etcd-io/raft's datadriven): `#` lines and blank lines are
 * prose, kept as they are; a command is one line, followed by `----` and its output,
 * which ends at the next blank line. The canonical form ends every block with exactly one
 * blank line, so parsing and rendering a canonical file gives it back unchanged.
 *
 *     campaign r1
 *     ----
 *     ok
 */

export type Item =
  | { readonly kind: 'text'; readonly line: string }
  | { readonly kind: 'command'; readonly line: string; readonly expected: readonly string[] | undefined };

const SEPARATOR = '----';

export function parseTranscript(text: string): Item[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const items: Item[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '' || line.startsWith('#')) {
      items.push({ kind: 'text', line });
      continue;
    }
    if (lines[i + 1] !== SEPARATOR) {
      items.push({ kind: 'command', line, expected: undefined });
      continue;
    }
    const expected: string[] = [];
    i += 2;
    while (i < lines.length && (lines[i] as string).trim() !== '') expected.push(lines[i++] as string);
    // The blank line that ended the output belongs to the block.
    items.push({ kind: 'command', line, expected });
  }
  return items;
}

/** Canonical form: each command block ends with one blank line; the file ends with one newline. */
export function renderTranscript(items: readonly Item[], outputs: ReadonlyMap<number, string[]>): string {
  const out: string[] = [];
  items.forEach((item, index) => {
    if (item.kind === 'text') {
      out.push(item.line);
      return;
    }
    out.push(item.line, SEPARATOR, ...(outputs.get(index) ?? item.expected ?? []));
    const next = items[index + 1];
    if (!(next?.kind === 'text' && next.line.trim() === '')) out.push('');
  });
  while (out.length > 0 && (out[out.length - 1] as string).trim() === '') out.pop();
  return `${out.join('\n')}\n`;
}

/** A line diff (LCS) of expected and actual, with a little context: enough to review a change. */
export function diffLines(expected: string, actual: string, context = 2): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      const row = lcs[i] as number[];
      row[j] =
        a[i] === b[j]
          ? ((lcs[i + 1] as number[])[j + 1] as number) + 1
          : Math.max((lcs[i + 1] as number[])[j] as number, row[j + 1] as number);
    }
  }
  const ops: Array<{ readonly op: ' ' | '-' | '+'; readonly line: string; readonly at: number }> = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      ops.push({ op: ' ', line: a[i] as string, at: i + 1 });
      i++;
      j++;
    } else if (
      i < a.length &&
      (j >= b.length || ((lcs[i + 1] as number[])[j] as number) >= ((lcs[i] as number[])[j + 1] as number))
    ) {
      ops.push({ op: '-', line: a[i] as string, at: i + 1 });
      i++;
    } else {
      ops.push({ op: '+', line: b[j] as string, at: i + 1 });
      j++;
    }
  }
  const shown = new Set<number>();
  ops.forEach((o, k) => {
    if (o.op === ' ') return;
    for (let c = Math.max(0, k - context); c <= Math.min(ops.length - 1, k + context); c++) shown.add(c);
  });
  const out: string[] = [];
  let last = -2;
  ops.forEach((o, k) => {
    if (!shown.has(k)) return;
    if (k !== last + 1) out.push(`@@ expected line ${o.at} @@`);
    out.push(`${o.op} ${o.line}`);
    last = k;
  });
  return out.join('\n');
}
