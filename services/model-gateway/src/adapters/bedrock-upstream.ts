import {
  ConverseCommand,
  ConverseStreamCommand,
  type ContentBlock,
  type ConverseCommandInput,
  type ConverseCommandOutput,
  type ConverseStreamOutput,
  type Message,
  type SystemContentBlock,
  type Tool,
  type ToolChoice,
} from '@aws-sdk/client-bedrock-runtime';
import { randomUUID } from 'node:crypto';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatMessage,
  ChatRequest,
  FinishReason,
  ToolCall,
} from '../domain/openai.ts';
import { requestedMaxTokens, usageOf } from '../domain/openai.ts';
import { UpstreamError, type Upstream } from '../ports.ts';

/** The one call the adapter makes on the client: a real BedrockRuntimeClient, or a recorded one in tests. */
export interface BedrockClient {
  send(command: ConverseCommand, options?: { abortSignal?: AbortSignal }): Promise<ConverseCommandOutput>;
  send(
    command: ConverseStreamCommand,
    options?: { abortSignal?: AbortSignal },
  ): Promise<{ stream?: AsyncIterable<ConverseStreamOutput> | undefined }>;
}

/**
 * Amazon Bedrock through the Converse API: one request shape for every model on Bedrock. The
 * agent's OpenAI-shaped request is mapped to Converse (system prompt, turns, tool calls and tool
 * results, tools, output cap) and the answer back to OpenAI's shape, streamed or not. The client
 * must make one attempt only (`maxAttempts: 1`): throttling is the gateway's to handle, for the
 * whole fleet at once (domain/upstream-limiter.ts).
 */
export function createBedrockUpstream(options: {
  readonly client: BedrockClient;
  readonly now?: () => Date;
}): Upstream {
  const now = options.now ?? (() => new Date());
  return {
    kind: 'bedrock',
    async complete({ request, signal }) {
      const input = converseInput(request);
      let output: ConverseCommandOutput;
      try {
        output = await options.client.send(new ConverseCommand(input), { abortSignal: signal });
      } catch (error) {
        throw bedrockError(error);
      }
      return completionOf(
        request.model,
        output,
        `chatcmpl-${randomUUID()}`,
        Math.floor(now().getTime() / 1000),
      );
    },
    async stream({ request, signal }) {
      const input = converseInput(request);
      let output: { stream?: AsyncIterable<ConverseStreamOutput> | undefined };
      try {
        output = await options.client.send(new ConverseStreamCommand(input), { abortSignal: signal });
      } catch (error) {
        throw bedrockError(error);
      }
      if (output.stream === undefined) throw new UpstreamError('Bedrock sent no stream', { status: 502 });
      return chunksOf(
        request.model,
        output.stream,
        `chatcmpl-${randomUUID()}`,
        Math.floor(now().getTime() / 1000),
      );
    },
  };
}

/** The Converse request for an OpenAI chat request. Exported for the recorded-shape tests. */
export function converseInput(request: ChatRequest): ConverseCommandInput {
  const system: SystemContentBlock[] = [];
  const messages: Message[] = [];
  const push = (role: 'user' | 'assistant', content: ContentBlock[]): void => {
    if (content.length === 0) return;
    const last = messages.at(-1);
    // Converse wants turns to alternate: consecutive turns of one role become one.
    if (last !== undefined && last.role === role) last.content = [...(last.content ?? []), ...content];
    else messages.push({ role, content });
  };
  for (const message of request.messages) {
    switch (message.role) {
      case 'system':
      case 'developer': {
        const text = textOf(message);
        if (text !== '') system.push({ text });
        break;
      }
      case 'user':
        push('user', textBlocks(message));
        break;
      case 'assistant':
        push('assistant', [
          ...textBlocks(message),
          ...(message.tool_calls ?? []).map((call): ContentBlock => ({
            // Converse's `input` is a JSON document (the SDK's DocumentType); any parsed object is one.
            toolUse: {
              toolUseId: call.id,
              name: call.function.name,
              input: parseArguments(call.function.arguments) as never,
            },
          })),
        ]);
        break;
      case 'tool':
        push('user', [
          {
            toolResult: {
              toolUseId: message.tool_call_id ?? '',
              content: [{ text: textOf(message) || '(empty)' }],
            },
          },
        ]);
        break;
    }
  }
  // A conversation must start with the user.
  if (messages[0]?.role === 'assistant')
    messages.unshift({ role: 'user', content: [{ text: '(continued)' }] });

  const maxTokens = requestedMaxTokens(request);
  const stop = request.stop === undefined || request.stop === null ? [] : [request.stop].flat();
  const inferenceConfig = {
    ...(maxTokens === undefined ? {} : { maxTokens }),
    ...(typeof request.temperature === 'number' ? { temperature: request.temperature } : {}),
    ...(typeof request.top_p === 'number' ? { topP: request.top_p } : {}),
    ...(stop.length > 0 ? { stopSequences: stop } : {}),
  };
  const tools: Tool[] = (request.tools ?? []).map((tool) => ({
    toolSpec: {
      name: tool.function.name,
      ...(tool.function.description === undefined ? {} : { description: tool.function.description }),
      inputSchema: { json: (tool.function.parameters ?? { type: 'object', properties: {} }) as never },
    },
  }));
  const toolChoice = toolChoiceOf(request.tool_choice);
  return {
    modelId: request.model,
    messages,
    ...(system.length > 0 ? { system } : {}),
    ...(Object.keys(inferenceConfig).length > 0 ? { inferenceConfig } : {}),
    // "none" means no tools at all; Converse has no such choice, so the tools stay home.
    ...(tools.length > 0 && request.tool_choice !== 'none'
      ? { toolConfig: { tools, ...(toolChoice === undefined ? {} : { toolChoice }) } }
      : {}),
  };
}

function toolChoiceOf(choice: unknown): ToolChoice | undefined {
  if (choice === 'auto') return { auto: {} };
  if (choice === 'required') return { any: {} };
  const name = (choice as { function?: { name?: unknown } } | undefined)?.function?.name;
  return typeof name === 'string' ? { tool: { name } } : undefined;
}

function textOf(message: ChatMessage): string {
  const { content } = message;
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content.map((part) => (typeof part.text === 'string' ? part.text : '')).join('');
  return '';
}

function textBlocks(message: ChatMessage): ContentBlock[] {
  const text = textOf(message);
  // Converse refuses empty text blocks.
  return text.trim() === '' ? [] : [{ text }];
}

function parseArguments(text: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

export function finishReasonOf(stopReason: string | undefined): FinishReason {
  switch (stopReason) {
    case 'tool_use':
      return 'tool_calls';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'content_filter';
    default:
      return 'stop';
  }
}

/** Converse's answer in OpenAI's shape. */
export function completionOf(
  model: string,
  output: ConverseCommandOutput,
  id: string,
  created: number,
): ChatCompletion {
  const blocks = output.output?.message?.content ?? [];
  const text = blocks.map((block) => block.text ?? '').join('');
  const toolCalls: ToolCall[] = blocks.flatMap((block) =>
    block.toolUse === undefined
      ? []
      : [
          {
            id: block.toolUse.toolUseId ?? `call_${randomUUID()}`,
            type: 'function' as const,
            function: {
              name: block.toolUse.name ?? '',
              arguments: JSON.stringify(block.toolUse.input ?? {}),
            },
          },
        ],
  );
  return {
    id,
    object: 'chat.completion',
    created,
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text === '' && toolCalls.length > 0 ? null : text,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        finish_reason: finishReasonOf(output.stopReason),
      },
    ],
    usage: usageOf({ tokensIn: output.usage?.inputTokens ?? 0, tokensOut: output.usage?.outputTokens ?? 0 }),
  };
}

/** ConverseStream's events as OpenAI chunks; the last carries the usage (from `metadata`). */
export async function* chunksOf(
  model: string,
  stream: AsyncIterable<ConverseStreamOutput>,
  id: string,
  created: number,
): AsyncGenerator<ChatCompletionChunk> {
  try {
    yield* openAiChunksOf(model, stream, id, created);
  } catch (error) {
    // An exception frame inside the stream (throttling, a model error) ends it: the SDK throws the
    // modelled exception from the iteration, after the HTTP answer's 200 has long been read.
    throw error instanceof UpstreamError ? error : bedrockError(error);
  }
}

async function* openAiChunksOf(
  model: string,
  stream: AsyncIterable<ConverseStreamOutput>,
  id: string,
  created: number,
): AsyncGenerator<ChatCompletionChunk> {
  const base = { id, object: 'chat.completion.chunk' as const, created, model };
  /** contentBlockIndex of each tool use -> its index among the tool calls. */
  const toolIndex = new Map<number, number>();
  let finish: FinishReason | undefined;
  for await (const event of stream) {
    if (event.messageStart !== undefined) {
      yield {
        ...base,
        choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
      };
    } else if (event.contentBlockStart?.start?.toolUse !== undefined) {
      const { toolUseId, name } = event.contentBlockStart.start.toolUse;
      const index = toolIndex.size;
      toolIndex.set(event.contentBlockStart.contentBlockIndex ?? index, index);
      yield {
        ...base,
        choices: [
          {
            index: 0,
            delta: {
              tool_calls: [
                {
                  index,
                  id: toolUseId ?? `call_${randomUUID()}`,
                  type: 'function',
                  function: { name: name ?? '', arguments: '' },
                },
              ],
            },
            finish_reason: null,
          },
        ],
      };
    } else if (event.contentBlockDelta !== undefined) {
      const { delta, contentBlockIndex } = event.contentBlockDelta;
      if (delta?.text !== undefined) {
        yield { ...base, choices: [{ index: 0, delta: { content: delta.text }, finish_reason: null }] };
      } else if (delta?.toolUse?.input !== undefined) {
        const index = toolIndex.get(contentBlockIndex ?? -1) ?? 0;
        yield {
          ...base,
          choices: [
            {
              index: 0,
              delta: { tool_calls: [{ index, function: { arguments: delta.toolUse.input } }] },
              finish_reason: null,
            },
          ],
        };
      }
    } else if (event.messageStop !== undefined) {
      finish = finishReasonOf(event.messageStop.stopReason);
      yield { ...base, choices: [{ index: 0, delta: {}, finish_reason: finish }] };
    } else if (event.metadata !== undefined) {
      const usage = event.metadata.usage;
      yield {
        ...base,
        choices: [],
        usage: usageOf({ tokensIn: usage?.inputTokens ?? 0, tokensOut: usage?.outputTokens ?? 0 }),
      };
    }
  }
}

/** A Bedrock error as an UpstreamError: ThrottlingException is a throttle, like an HTTP 429. */
export function bedrockError(error: unknown): UpstreamError {
  const shape = (typeof error === 'object' && error !== null ? error : {}) as {
    name?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const name = shape.name ?? 'Error';
  const throttled =
    name === 'ThrottlingException' ||
    name === 'ServiceQuotaExceededException' ||
    shape.$metadata?.httpStatusCode === 429;
  // An exception from inside a stream carries the stream's own 200: only an error status counts.
  const httpStatus = shape.$metadata?.httpStatusCode;
  const status =
    (httpStatus !== undefined && httpStatus >= 400 ? httpStatus : undefined) ??
    (throttled
      ? 429
      : ({
          ValidationException: 400,
          AccessDeniedException: 403,
          ResourceNotFoundException: 404,
          ModelTimeoutException: 408,
          ModelNotReadyException: 503,
          ServiceUnavailableException: 503,
          InternalServerException: 500,
          ModelStreamErrorException: 502,
          ModelErrorException: 502,
        }[name] ?? 502));
  return new UpstreamError(
    `Bedrock answered ${name}${shape.message === undefined ? '' : `: ${shape.message.slice(0, 300)}`}`,
    {
      status,
      throttled,
      cause: error,
    },
  );
}
