import { z } from 'zod';

/**
 * The slice of the OpenAI chat-completions API the gateway reads. Everything else a client sends
 * passes through to an OpenAI-compatible upstream untouched (the schema is loose on purpose); the
 * Bedrock adapter maps what Converse knows and ignores the rest.
 */
const contentPart = z.looseObject({ type: z.string(), text: z.string().optional() });

export const chatMessageSchema = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: z.union([z.string(), z.array(contentPart), z.null()]).optional(),
  name: z.string().optional(),
  tool_calls: z
    .array(
      z.looseObject({
        id: z.string(),
        type: z.literal('function').optional(),
        function: z.object({ name: z.string(), arguments: z.string() }),
      }),
    )
    .optional(),
  tool_call_id: z.string().optional(),
});

export const chatRequestSchema = z.looseObject({
  model: z.string().min(1).max(200),
  messages: z.array(chatMessageSchema).min(1).max(10_000),
  stream: z.boolean().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  max_tokens: z.number().int().positive().nullable().optional(),
  max_completion_tokens: z.number().int().positive().nullable().optional(),
  temperature: z.number().nullable().optional(),
  top_p: z.number().nullable().optional(),
  stop: z
    .union([z.string(), z.array(z.string())])
    .nullable()
    .optional(),
  tools: z
    .array(
      z.looseObject({
        type: z.literal('function'),
        function: z.looseObject({
          name: z.string().min(1),
          description: z.string().optional(),
          parameters: z.record(z.string(), z.unknown()).optional(),
        }),
      }),
    )
    .optional(),
  tool_choice: z.unknown().optional(),
});

export type ChatRequest = z.infer<typeof chatRequestSchema>;
export type ChatMessage = z.infer<typeof chatMessageSchema>;

export interface ToolCall {
  readonly id: string;
  readonly type: 'function';
  readonly function: { readonly name: string; readonly arguments: string };
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export interface Usage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
}

export interface ChatCompletion {
  readonly id: string;
  readonly object: 'chat.completion';
  readonly created: number;
  readonly model: string;
  readonly choices: readonly {
    readonly index: number;
    readonly message: {
      readonly role: 'assistant';
      readonly content: string | null;
      readonly tool_calls?: readonly ToolCall[];
    };
    readonly finish_reason: FinishReason | null;
  }[];
  readonly usage?: Usage | undefined;
}

export interface ChunkDelta {
  readonly role?: 'assistant';
  readonly content?: string | null;
  readonly tool_calls?: readonly {
    readonly index: number;
    readonly id?: string;
    readonly type?: 'function';
    readonly function?: { readonly name?: string; readonly arguments?: string };
  }[];
}

export interface ChatCompletionChunk {
  readonly id: string;
  readonly object: 'chat.completion.chunk';
  readonly created: number;
  readonly model: string;
  readonly choices: readonly {
    readonly index: number;
    readonly delta: ChunkDelta;
    readonly finish_reason: FinishReason | null;
  }[];
  readonly usage?: Usage | null | undefined;
}

/** Tokens the gateway meters for one call. */
export interface TokenCount {
  readonly tokensIn: number;
  readonly tokensOut: number;
}

export function tokensOf(usage: Usage | null | undefined): TokenCount | undefined {
  if (usage === undefined || usage === null) return undefined;
  return { tokensIn: usage.prompt_tokens, tokensOut: usage.completion_tokens };
}

export function usageOf(tokens: TokenCount): Usage {
  return {
    prompt_tokens: tokens.tokensIn,
    completion_tokens: tokens.tokensOut,
    total_tokens: tokens.tokensIn + tokens.tokensOut,
  };
}

/** The output-token cap a request asks for (either spelling), if any. */
export function requestedMaxTokens(request: ChatRequest): number | undefined {
  return request.max_completion_tokens ?? request.max_tokens ?? undefined;
}

/**
 * A reply the gateway writes itself (no model configured, a spent budget): an ordinary assistant
 * message, so the agent says it in chat like any answer. Zero tokens: nothing was spent.
 */
export function assistantReply(model: string, text: string, id: string, created: number): ChatCompletion {
  return {
    id,
    object: 'chat.completion',
    created,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    usage: usageOf({ tokensIn: 0, tokensOut: 0 }),
  };
}

/** The same reply as stream chunks: the text, the finish, and (when asked for) the usage. */
export function assistantReplyChunks(
  model: string,
  text: string,
  id: string,
  created: number,
  includeUsage: boolean,
): ChatCompletionChunk[] {
  const base = { id, object: 'chat.completion.chunk' as const, created, model };
  return [
    { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: text }, finish_reason: null }] },
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
    ...(includeUsage ? [{ ...base, choices: [], usage: usageOf({ tokensIn: 0, tokensOut: 0 }) }] : []),
  ];
}

/** Chunks already in hand as a stream (a reply the gateway writes itself). */
export function streamOf<T>(items: readonly T[]): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      let next = 0;
      return {
        next: () =>
          Promise.resolve(
            next < items.length
              ? { value: items[next++] as T, done: false as const }
              : { value: undefined, done: true as const },
          ),
      };
    },
  };
}

/** Upper bound of a request's input tokens without a tokenizer: one token per UTF-8 byte at most. */
export function inputTokenBound(request: ChatRequest): number {
  return (
    Buffer.byteLength(JSON.stringify(request.messages)) +
    Buffer.byteLength(JSON.stringify(request.tools ?? []))
  );
}
