/**
 * What `ocf` exits with, for scripts (also in `ocf --help` and the README). Stable: a script may
 * branch on them.
 */
export const EXIT = {
  ok: 0,
  /** The directory failed, could not be reached, or something unexpected happened. */
  failed: 1,
  /** The command line was wrong (unknown command or flag, a missing argument). */
  usage: 2,
  /** No such agent. */
  notFound: 3,
  /** The directory refused the request: invalid input, an org rule, an invalid org file. */
  refused: 4,
  /** The token is missing, unknown, or lacks the scope (read for queries, write for changes). */
  unauthorised: 5,
  /** No directory to talk to: no flag, variable, config file or local fleet says where it is. */
  notConfigured: 6,
  /** `org apply` finished but could not make every change (each is listed with its reason). */
  incomplete: 7,
} as const;

export const EXIT_CODES_HELP = `Exit codes:
  0  success
  1  the directory failed or could not be reached
  2  usage error (unknown command or flag, missing argument)
  3  no such agent
  4  refused by the directory (invalid input, an org rule, an invalid org file)
  5  not authorised (missing or unknown token, or it lacks the scope)
  6  no directory configured (see "Configuration")
  7  org apply could not make every change`;
