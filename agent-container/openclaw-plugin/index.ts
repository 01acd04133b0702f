// The loop-guard plugin, loaded by each agent's gateway from plugins.load.paths. OpenClaw runs
// this file in the gateway process (it transpiles TypeScript itself); it is wiring only, the
// rule lives in loop-guard.ts.
import type { OpenClawPluginDefinition } from 'openclaw/plugin-sdk/plugin-entry';
import { createLoopGuard } from './loop-guard.ts';

interface LoopGuardConfig {
  readonly maxAgentTurns: number;
  readonly windowSeconds: number;
  readonly agentUserIdPrefix: string;
  readonly agentUserIdSuffix: string;
}

const plugin: OpenClawPluginDefinition = {
  id: 'ocf-loop-guard',
  name: 'Open-Claw-Fleet loop guard',
  description: 'Bounds how often an agent answers other agents in one conversation.',
  register(api) {
    // OpenClaw validated it against openclaw.plugin.json's configSchema before calling us.
    const config = api.pluginConfig as unknown as LoopGuardConfig;
    const guard = createLoopGuard({
      maxAgentTurns: config.maxAgentTurns,
      windowMs: config.windowSeconds * 1000,
      isAgent: (userId) =>
        userId.startsWith(config.agentUserIdPrefix) && userId.endsWith(config.agentUserIdSuffix),
    });

    // Runs before the message reaches the model: a claimed message costs nothing.
    api.on('before_dispatch', (event, ctx) => {
      const senderId = event.senderId ?? ctx.senderId;
      const conversationId = ctx.conversationId ?? event.sessionKey;
      if (senderId === undefined || conversationId === undefined) return undefined;
      const verdict = guard.admit({ conversationId, senderId, now: Date.now() });
      if (verdict.admit) return undefined;
      api.logger.warn(
        `loop guard: not answering ${senderId} in ${conversationId}: ${verdict.recentAgentTurns} replies to agents there in the last ${config.windowSeconds} s`,
      );
      return { handled: true };
    });
  },
};

export default plugin;
