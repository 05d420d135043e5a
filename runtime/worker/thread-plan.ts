/**
 * Which of a replica's actors share a worker thread. Written as groups separated by `|`,
 * the actors of a group joined by `+` (or `,`): `identity+storage | election+log | dns`.
 * An actor the plan does not name runs on a thread of its own; `one-per-thread` names
 * none, so every actor is alone (the placement before grouping existed).
 */
export interface ThreadPlan {
  /** The thread groups as written, each with at least one actor. */
  readonly groups: readonly (readonly string[])[];
}

/** The plan that gives every actor a thread of its own. */
export const ONE_ACTOR_PER_THREAD = 'one-per-thread';
/** Bounds on the text, so a bad config value is refused rather than processed. */
export const THREAD_PLAN_MAX_CHARS = 1_024;
export const THREAD_PLAN_MAX_GROUPS = 64;
export const THREAD_PLAN_MAX_ACTORS_PER_GROUP = 64;
const ACTOR_NAME = /^[a-z][a-z0-9-]{0,62}$/;

export type ThreadPlanParse =
  | { readonly ok: true; readonly plan: ThreadPlan }
  | { readonly ok: false; readonly error: string };

export function parseThreadPlan(text: string): ThreadPlanParse {
  if (text.length > THREAD_PLAN_MAX_CHARS)
    return { ok: false, error: `longer than ${THREAD_PLAN_MAX_CHARS} characters` };
  const trimmed = text.trim();
  if (trimmed === ONE_ACTOR_PER_THREAD) return { ok: true, plan: { groups: [] } };
  if (trimmed === '')
    return { ok: false, error: `empty; use ${ONE_ACTOR_PER_THREAD} for one actor per thread` };
  const groupTexts = trimmed.split('|');
  if (groupTexts.length > THREAD_PLAN_MAX_GROUPS)
    return { ok: false, error: `more than ${THREAD_PLAN_MAX_GROUPS} thread groups` };
  const seen = new Set<string>();
  const groups: string[][] = [];
  for (const groupText of groupTexts) {
    const names = groupText.split(/[+,]/).map((name) => name.trim());
    if (names.some((name) => name === ''))
      return { ok: false, error: `an empty actor name in group "${groupText.trim()}"` };
    if (names.length > THREAD_PLAN_MAX_ACTORS_PER_GROUP)
      return { ok: false, error: `more than ${THREAD_PLAN_MAX_ACTORS_PER_GROUP} actors in one group` };
    for (const name of names) {
      if (!ACTOR_NAME.test(name)) return { ok: false, error: `"${name}" is not an actor name` };
      if (seen.has(name)) return { ok: false, error: `actor ${name} is placed twice` };
      seen.add(name);
    }
    groups.push(names);
  }
  return { ok: true, plan: { groups } };
}

/** The plan's text in canonical form (what `parseThreadPlan` reads back to the same plan). */
export function formatThreadPlan(plan: ThreadPlan): string {
  if (plan.groups.length === 0) return ONE_ACTOR_PER_THREAD;
  return plan.groups.map((group) => group.join('+')).join(' | ');
}

/** The name of the thread `actor` runs on: its group's actors joined by `+`, or its own name. */
export function threadOf(plan: ThreadPlan, actor: string): string {
  const group = plan.groups.find((names) => names.includes(actor));
  return group === undefined ? actor : group.join('+');
}
