import type { HandlerMap } from '@ocf/runtime';

/**
 * The credentials service's event handlers, one file per trigger. None yet: until it has them the
 * service does not consume its queue (see shared/service), rather than acknowledge events it
 * cannot act on.
 */
export function createHandlers(): HandlerMap {
  return {};
}
