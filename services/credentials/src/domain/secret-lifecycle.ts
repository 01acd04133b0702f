/**
 * The rules of an agent secret's life, as pure decisions. Handlers read the secret's state, ask
 * here what to do, and do it. Because every decision starts from the state as it is (not from
 * what this service remembers doing), running a handler twice — a redelivery, a crash between
 * the AWS call and the publish — converges on the same outcome instead of repeating the effect.
 */

/** What Secrets Manager holds for one agent. The secret itself is this service's only state. */
export type SecretState =
  | { readonly kind: 'absent' }
  | {
      readonly kind: 'active';
      readonly arn: string;
      /** The version labelled AWSCURRENT. */
      readonly currentVersionId: string | undefined;
      /** Every version that still carries a label (AWSCURRENT, AWSPREVIOUS, ...). */
      readonly versionIds: readonly string[];
    }
  | {
      readonly kind: 'scheduled-for-deletion';
      readonly arn: string;
      /** Until then a re-hire can restore it; after it Secrets Manager deletes it for good. */
      readonly deletionDate: Date;
    };

export type HireDecision =
  | { readonly action: 'create' }
  /** A re-hire within the recovery window: bring the retired agent's secret back. */
  | { readonly action: 'restore'; readonly arn: string }
  /** Issued before (a duplicate hire, or a rerun after a crash): report the secret there is. */
  | { readonly action: 'report-issued'; readonly arn: string };

export function decideOnHire(state: SecretState): HireDecision {
  switch (state.kind) {
    case 'absent':
      return { action: 'create' };
    case 'scheduled-for-deletion':
      return { action: 'restore', arn: state.arn };
    case 'active':
      return { action: 'report-issued', arn: state.arn };
  }
}

export type RetirementDecision =
  | { readonly action: 'schedule-deletion'; readonly arn: string }
  /** Already scheduled (a duplicate retirement, or a rerun after a crash): report it again. */
  | { readonly action: 'report-revoked'; readonly arn: string; readonly deletionDate: Date }
  /**
   * No secret: the hire failed before it got one, the secret is past its recovery window, or
   * the retirement overtook the hire. Nothing to revoke, so nothing to report (see ADR 0006).
   */
  | { readonly action: 'nothing-to-revoke' };

export function decideOnRetirement(state: SecretState): RetirementDecision {
  switch (state.kind) {
    case 'absent':
      return { action: 'nothing-to-revoke' };
    case 'scheduled-for-deletion':
      return { action: 'report-revoked', arn: state.arn, deletionDate: state.deletionDate };
    case 'active':
      return { action: 'schedule-deletion', arn: state.arn };
  }
}

export interface RotationRequest {
  /** The version this request writes: derived from its event id, the same on every delivery. */
  readonly versionId: string;
  /**
   * Secrets Manager refused the write because a version with this id exists, although the
   * state does not list it: an earlier delivery wrote it and later rotations pushed it out.
   */
  readonly versionAlreadyWritten: boolean;
}

export type RotationDecision =
  | { readonly action: 'put-new-version'; readonly arn: string }
  /** This request's version was written before and is still current: report it again. */
  | { readonly action: 'report-rotated'; readonly arn: string; readonly versionId: string }
  /**
   * This request's version was written before, but a later rotation replaced it. Reporting it
   * now would send the bridge back to an old password, so say nothing.
   */
  | { readonly action: 'ignore-superseded'; readonly arn: string }
  /** No secret yet: the hire that creates it may still be on its way. Worth waiting for. */
  | { readonly action: 'wait-for-secret' }
  /** The agent is retired: its secret is scheduled for deletion and must not get new values. */
  | { readonly action: 'refuse-retired'; readonly arn: string };

export function decideOnRotation(state: SecretState, request: RotationRequest): RotationDecision {
  switch (state.kind) {
    case 'absent':
      return { action: 'wait-for-secret' };
    case 'scheduled-for-deletion':
      return { action: 'refuse-retired', arn: state.arn };
    case 'active':
      if (state.currentVersionId === request.versionId) {
        return { action: 'report-rotated', arn: state.arn, versionId: request.versionId };
      }
      if (request.versionAlreadyWritten || state.versionIds.includes(request.versionId)) {
        return { action: 'ignore-superseded', arn: state.arn };
      }
      return { action: 'put-new-version', arn: state.arn };
  }
}
