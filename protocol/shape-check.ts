/**
 * Checks of a JSON value's shape for the records every `raftns` command reads before doing
 * anything (the cluster plan, protocol/plan.ts; a zone registry entry, zone-directory.ts):
 * plain functions rather than zod, whose load (≈ 100 ms on 2 loaded cores) was a third of a
 * one-shot `raftns get` (docs/ARCHITECTURE.md, "The CLI loads only the command it runs").
 * Each check appends what is wrong, at its path, to an issue list; the issues, their order
 * and their wording are those zod gives for the same bounds (`Too small: expected array to
 * have >=1 items`), so an operator reads one style of message across the project.
 *
 * Each check answers true when the value is of the expected type (and may be looked into),
 * false when it is not; a value out of its bounds is an issue but still of its type. A list
 * longer than its bound is not looked into: its length is the one issue reported.
 */

export type ShapePath = readonly (string | number)[];

export interface ShapeIssue {
  readonly path: ShapePath;
  readonly message: string;
}

export type ShapeIssues = ShapeIssue[];

/** How a message names the type of a value it did not expect. */
function received(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return typeof value;
}

function invalidType(issues: ShapeIssues, path: ShapePath, expected: string, value: unknown): false {
  issues.push({ path, message: `Invalid input: expected ${expected}, received ${received(value)}` });
  return false;
}

/** A plain object (neither null nor an array). */
export function isObject(
  issues: ShapeIssues,
  path: ShapePath,
  value: unknown,
): value is Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return invalidType(issues, path, 'object', value);
  return true;
}

/**
 * Reports the keys of `value` outside `keys` as one issue; called after checking the known
 * keys, so it follows their issues. The object is still of its type.
 */
export function onlyKeys(
  issues: ShapeIssues,
  path: ShapePath,
  value: Readonly<Record<string, unknown>>,
  keys: readonly string[],
): void {
  const unknown = Object.keys(value).filter((key) => !keys.includes(key));
  if (unknown.length > 0)
    issues.push({
      path,
      message: `Unrecognized key${unknown.length > 1 ? 's' : ''}: ${unknown.map((k) => JSON.stringify(k)).join(', ')}`,
    });
}

/**
 * The length bounds of a string (in code points) or an array (in items). They are judged
 * whatever the type the value should have had: a string where a list belongs says how long
 * it is too.
 */
function lengthIssues(issues: ShapeIssues, path: ShapePath, value: unknown, min: number, max: number): void {
  let length: number;
  let sized: string;
  if (typeof value === 'string') {
    length = value.length >= min && value.length <= max ? value.length : [...value].length;
    sized = 'string to have';
  } else if (Array.isArray(value)) {
    length = value.length;
    sized = 'array to have';
  } else return;
  const unit = typeof value === 'string' ? 'characters' : 'items';
  if (length < min) issues.push({ path, message: `Too small: expected ${sized} >=${min} ${unit}` });
  if (length > max) issues.push({ path, message: `Too big: expected ${sized} <=${max} ${unit}` });
}

/** A string of `min..=max` characters (code points). */
export function isString(
  issues: ShapeIssues,
  path: ShapePath,
  value: unknown,
  min = 0,
  max = Number.POSITIVE_INFINITY,
): value is string {
  const typed = typeof value === 'string' || invalidType(issues, path, 'string', value);
  lengthIssues(issues, path, value, min, max);
  return typed;
}

/** A safe integer in `min..=max`. */
export function isInteger(
  issues: ShapeIssues,
  path: ShapePath,
  value: unknown,
  min: number,
  max: number,
): value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return invalidType(issues, path, 'number', value);
  if (!Number.isInteger(value)) return invalidType(issues, path, 'int', value);
  if (value > Number.MAX_SAFE_INTEGER)
    issues.push({ path, message: `Too big: expected int to be <=${Number.MAX_SAFE_INTEGER}` });
  if (value < Number.MIN_SAFE_INTEGER)
    issues.push({ path, message: `Too small: expected int to be >=${Number.MIN_SAFE_INTEGER}` });
  if (value < min) issues.push({ path, message: `Too small: expected number to be >=${min}` });
  if (value > max) issues.push({ path, message: `Too big: expected number to be <=${max}` });
  return true;
}

/** Exactly `expected`. */
export function isLiteral(issues: ShapeIssues, path: ShapePath, value: unknown, expected: number): boolean {
  if (value === expected) return true;
  issues.push({ path, message: `Invalid input: expected ${expected}` });
  return false;
}

/** One of `options`. */
export function isOneOf<T extends string>(
  issues: ShapeIssues,
  path: ShapePath,
  value: unknown,
  options: readonly T[],
): value is T {
  if ((options as readonly unknown[]).includes(value)) return true;
  issues.push({
    path,
    message: `Invalid option: expected one of ${options.map((o) => JSON.stringify(o)).join('|')}`,
  });
  return false;
}

/**
 * An array of `min..=max` elements, each checked by `element`: true when every element is of
 * its type (`element` answered true for each).
 */
export function isArray(
  issues: ShapeIssues,
  path: ShapePath,
  value: unknown,
  min: number,
  max: number,
  element: (issues: ShapeIssues, path: ShapePath, value: unknown) => boolean,
): value is readonly unknown[] {
  if (!Array.isArray(value)) {
    invalidType(issues, path, 'array', value);
    lengthIssues(issues, path, value, min, max);
    return false;
  }
  // Too long a list is not looked into: its length is the one problem reported.
  if (value.length > max) {
    lengthIssues(issues, path, value, min, max);
    return false;
  }
  let typed = true;
  value.forEach((item, i) => {
    if (!element(issues, [...path, i], item)) typed = false;
  });
  lengthIssues(issues, path, value, min, max);
  return typed;
}
