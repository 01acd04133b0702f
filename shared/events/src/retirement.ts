/**
 * The cascade's status rule, written once: a retirement waits only for what the hire got as far
 * as doing. The directory (the status a person sees), health (agents counted by state) and
 * provisioning (what it stops and archives) all ask this module; if each kept its own copy and
 * they drifted, an agent would wait for a step nobody is going to report and stay `retiring`.
 */

/** The hire steps a retirement may have to undo. */
export const HIRE_STEPS_UNDONE_ON_RETIREMENT = ['credentials', 'chat-account', 'task'] as const;
export type ReachedHireStep = (typeof HIRE_STEPS_UNDONE_ON_RETIREMENT)[number];

/** The steps of a retirement, in the order the status shows them. */
export const RETIREMENT_STEPS = ['credentials', 'chat-account', 'task', 'memory'] as const;
export type RetirementStep = (typeof RETIREMENT_STEPS)[number];

/**
 * How far a hire got, in whatever facts the caller keeps: a step counts as reached when its
 * entry is present (not undefined). `task` means a task was launched for this hire.
 */
export type HireReach = Readonly<Partial<Record<ReachedHireStep, unknown>>>;

/** What each reached hire step leaves for the retirement to undo. */
const UNDONE_BY: Readonly<Record<ReachedHireStep, readonly RetirementStep[]>> = {
  credentials: ['credentials'],
  'chat-account': ['chat-account'],
  // A launched task has to stop, and its storage has to be archived.
  task: ['task', 'memory'],
};

/**
 * What a retirement has to undo: only what the hire got as far as doing. An agent retired
 * before its task ever launched has no task to stop and no memory to archive.
 */
export function retirementSteps(reach: HireReach): RetirementStep[] {
  return HIRE_STEPS_UNDONE_ON_RETIREMENT.flatMap((step) =>
    reach[step] === undefined ? [] : UNDONE_BY[step],
  );
}

/** The retirement is over once every step it has to undo is done (at once, if the hire did nothing). */
export function isRetirementComplete(reach: HireReach, isDone: (step: RetirementStep) => boolean): boolean {
  return retirementSteps(reach).every(isDone);
}
