/**
 * A canonical text form of a message body for the trace hash: equal values give equal
 * text whatever order their keys were added in. Handles what actor messages carry: plain
 * objects (keys sorted), arrays, byte arrays, bigint, undefined, Map and Set (entries
 * sorted by their own canonical form), errors. Cycles and very deep values are cut off
 * with a marker rather than looping.
 */
const DEPTH_MAX = 32;

export function stableSerialize(value: unknown): string {
  const out: string[] = [];
  write(value, out, 0, []);
  return out.join('');
}

function write(value: unknown, out: string[], depth: number, stack: unknown[]): void {
  switch (typeof value) {
    case 'undefined':
      out.push('u');
      return;
    case 'boolean':
      out.push(value ? 't' : 'f');
      return;
    case 'number':
      out.push(Object.is(value, -0) ? '-0' : String(value));
      return;
    case 'bigint':
      out.push(`${value}n`);
      return;
    case 'string':
      out.push(JSON.stringify(value));
      return;
    case 'symbol':
      out.push(`sym(${JSON.stringify(value.description ?? '')})`);
      return;
    case 'function':
      out.push('fn');
      return;
  }
  if (value === null) {
    out.push('null');
    return;
  }
  if (depth >= DEPTH_MAX || stack.includes(value)) {
    out.push('<cut>');
    return;
  }
  if (value instanceof Uint8Array) {
    out.push('b:', Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex'));
    return;
  }
  if (ArrayBuffer.isView(value)) {
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    out.push(`${value.constructor.name}:`, bytes.toString('hex'));
    return;
  }
  if (value instanceof ArrayBuffer) {
    out.push('ab:', Buffer.from(value).toString('hex'));
    return;
  }
  stack.push(value);
  if (Array.isArray(value)) {
    out.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(',');
      write(value[i], out, depth + 1, stack);
    }
    out.push(']');
  } else if (value instanceof Map) {
    const entries = [...value].map(([k, v]) => `${stableSerialize(k)}=>${nested(v, depth, stack)}`).sort();
    out.push('Map{', entries.join(','), '}');
  } else if (value instanceof Set) {
    const entries = [...value].map((v) => nested(v, depth, stack)).sort();
    out.push('Set{', entries.join(','), '}');
  } else if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    out.push(`Error(${JSON.stringify(value.name)},${JSON.stringify(value.message)},`);
    write(code, out, depth + 1, stack);
    out.push(')');
  } else {
    const proto = Object.getPrototypeOf(value) as object | null;
    if (proto !== null && proto !== Object.prototype) out.push(proto.constructor?.name ?? '?');
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    out.push('{');
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      if (i > 0) out.push(',');
      out.push(JSON.stringify(key), ':');
      write(record[key], out, depth + 1, stack);
    }
    out.push('}');
  }
  stack.pop();
}

function nested(value: unknown, depth: number, stack: unknown[]): string {
  const out: string[] = [];
  write(value, out, depth + 1, stack);
  return out.join('');
}
