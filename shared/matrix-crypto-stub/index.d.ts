/** Thrown by every export of the stand-in: fleet rooms are unencrypted. */
export declare class EncryptionNotSupportedError extends Error {
  readonly code: 'E2EE_NOT_SUPPORTED';
}
/** True for the stand-in, so tests can tell it from the real module. */
export declare const isStandIn: true;
