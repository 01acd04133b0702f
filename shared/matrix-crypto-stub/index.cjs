'use strict';
// Stand-in for @matrix-org/matrix-sdk-crypto-nodejs (see docs/adr/0004-matrix-e2ee-stand-in.md).
//
// matrix-bot-sdk requires the Rust crypto module when it loads, but only touches its exports
// when a client is built with a crypto store. Fleet rooms are unencrypted, so nothing should
// ever get that far; if something does, it fails loudly here instead of half-working.

const MESSAGE =
  'End-to-end encryption is not supported by Open-Claw-Fleet: fleet rooms are unencrypted and ' +
  'matrix-bot-sdk runs with a stand-in for its crypto module. Do not pass a crypto store to MatrixClient.';

class EncryptionNotSupportedError extends Error {
  constructor(what) {
    super(`${MESSAGE} (tried to use ${what})`);
    this.name = 'EncryptionNotSupportedError';
    this.code = 'E2EE_NOT_SUPPORTED';
  }
}

function refuse(name) {
  // A class-shaped function: `new X()`, `X()` and `X.fromSomething()` all refuse.
  const target = function () {
    throw new EncryptionNotSupportedError(name);
  };
  return new Proxy(target, {
    construct() {
      throw new EncryptionNotSupportedError(`new ${name}()`);
    },
    apply() {
      throw new EncryptionNotSupportedError(`${name}()`);
    },
    get(_t, prop) {
      if (prop === 'prototype') return target.prototype;
      if (typeof prop === 'symbol') return undefined;
      throw new EncryptionNotSupportedError(`${name}.${prop}`);
    },
  });
}

const known = { EncryptionNotSupportedError, isStandIn: true, __esModule: true };

module.exports = new Proxy(known, {
  get(target, prop) {
    if (prop in target) return target[prop];
    if (typeof prop === 'symbol' || prop === 'then') return undefined;
    return refuse(String(prop));
  },
});
