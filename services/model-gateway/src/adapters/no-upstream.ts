import { randomUUID } from 'node:crypto';
import { assistantReply, assistantReplyChunks, streamOf } from '../domain/openai.ts';
import type { Upstream } from '../ports.ts';

/** What every call answers when the fleet has no model: said by the agent, in chat. */
export const NO_MODEL_MESSAGE =
  'No model is configured for this fleet, so I cannot think or answer yet. An operator needs to set ' +
  "the model gateway's upstream: MODEL_UPSTREAM=openai-compatible with MODEL_UPSTREAM_URL (and " +
  'MODEL_UPSTREAM_MODEL), or MODEL_UPSTREAM=bedrock with MODEL_UPSTREAM_MODEL and AWS credentials ' +
  '(docs/model-gateway.md).';

/**
 * The upstream of a fleet with no model configured: every call is answered, at once and for
 * free, with NO_MODEL_MESSAGE as an ordinary assistant reply, so an agent says so in chat
 * instead of staying silent.
 */
export function createNoUpstream(now: () => Date = () => new Date()): Upstream {
  const created = (): number => Math.floor(now().getTime() / 1000);
  return {
    kind: 'none',
    complete: ({ request }) =>
      Promise.resolve(assistantReply(request.model, NO_MODEL_MESSAGE, `chatcmpl-${randomUUID()}`, created())),
    stream: ({ request }) => {
      const chunks = assistantReplyChunks(
        request.model,
        NO_MODEL_MESSAGE,
        `chatcmpl-${randomUUID()}`,
        created(),
        true,
      );
      return Promise.resolve(streamOf(chunks));
    },
  };
}
