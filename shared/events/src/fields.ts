import { z } from 'zod';

/**
 * An agent's id: a lowercase slug that is stable for the agent's whole life. It names its secret,
 * its Matrix user (`@agent-<id>:<server>`), its task tags and its storage, so it must be safe in
 * all of them: letters, digits and single hyphens, 2 to 48 characters.
 */
export const agentIdSchema = z
  .string()
  .regex(
    /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){1,47}$/,
    'must be 2-48 lowercase letters, digits or single hyphens, starting and ending with a letter or digit',
  );

/**
 * The agent id that stands for the human CEO at the root of the org chart: the manager of
 * everyone at the top. Not an agent (no secret, no task, no agent account), but it is a valid
 * agent id in form, so it is reserved.
 */
export const CEO_ID = 'ceo';

/** Levels of the org chart below the human CEO. */
export const levelSchema = z.enum(['executive', 'vp', 'director', 'manager', 'ic']);
export type Level = z.infer<typeof levelSchema>;

/**
 * Any text an event carries. Control characters (C0 such as ESC and BEL, DEL, C1) are refused:
 * stored as given they would reach terminals (`fleet status`), logs and chat rooms as escape
 * sequences. Checked before trimming, so a leading tab or newline is refused too, not hidden.
 */
export const textSchema = z.string().regex(/^\P{Cc}*$/u, 'must not contain control characters');

/**
 * Text the fleet writes itself from something it does not control (an error message, a
 * process's exit reason) made fit for an event: each control character is shown as its code
 * (`\u001b`), so nothing is lost and nothing is refused.
 */
export function escapeControlCharacters(text: string): string {
  return text.replace(/\p{Cc}/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A free-text label that ends up in room names, display names and personas. */
export const labelSchema = textSchema.trim().min(1).max(120);

export const arnSchema = z
  .string()
  .regex(/^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{12}:.+$/, 'must be an ARN');

/** The steps of a cascade, as the status projection names them. */
export const cascadeStepSchema = z.enum([
  'directory',
  'credentials',
  'chat-account',
  'rooms',
  'task',
  'memory',
]);
export type CascadeStep = z.infer<typeof cascadeStepSchema>;

export const reasonSchema = textSchema.trim().min(1).max(2000);

/**
 * An agent's status as the directory derives it from its cascade (the REST API shows it, the
 * metrics count agents by it, the fleet command lists it): the hire cascade in order, then
 * trouble, then the way out.
 */
export const AGENT_STATUSES = [
  'hired',
  'credentials-issued',
  'chat-account-ready',
  'launching',
  'running',
  'asleep',
  'unhealthy',
  'restarting',
  'crash-looping',
  'failed',
  'retiring',
  'retired',
] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

/**
 * An amount of money in US dollars (model spend, budgets): non-negative, finite, at most a
 * million a month. Prices are per million tokens, so amounts carry up to six decimals.
 */
export const usdSchema = z.number().nonnegative().max(1_000_000);

/** A calendar month in UTC, `YYYY-MM`: the period budgets and usage totals are kept for. */
export const monthSchema = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month, YYYY-MM');

/**
 * Whether an agent's task runs all the time or only while it has something to do (ADR 0019):
 * an `on-demand` agent is put to sleep after its idle timeout and woken when it is addressed.
 */
export const wakePolicySchema = z.enum(['always-on', 'on-demand']);
export type WakePolicy = z.infer<typeof wakePolicySchema>;

/** How long an on-demand agent may stay idle before it sleeps: a second to a week. */
export const idleTimeoutSecondsSchema = z
  .number()
  .int()
  .min(1)
  .max(7 * 24 * 3600);
