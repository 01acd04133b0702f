#!/usr/bin/env node
// The latency the model gateway adds to a call, and the calls per second one gateway process (one
// core: Node runs the request path on one thread) serves. Three processes: a fast fake
// OpenAI-compatible upstream, the gateway in front of it (its real app, key check, limits,
// metering, with in-memory stores: DynamoDB's two writes per call are AWS's latency, not the
// gateway's), and this one, the client. Each measure calls the upstream directly and through the
// gateway, one call at a time, then the gateway under load.
// Prints the figures and rewrites its table in docs/benchmarks.md. Asserts nothing.
//
//   node bench/model-gateway.ts [--calls 2000] [--seconds 10] [--concurrency 32]
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

const role = process.env['BENCH_ROLE'];
if (role === 'upstream') await serveUpstream();
else if (role === 'gateway') await serveGateway(process.env['UPSTREAM_URL'] ?? '');
else await main();

/** A fake upstream that answers at once: 100 tokens in, 10 out; streamed as five chunks and usage. */
async function serveUpstream(): Promise<void> {
  const completion = JSON.stringify({
    id: 'c',
    object: 'chat.completion',
    created: 1,
    model: 'fake-model',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: 'Hello there, how can I help?' },
        finish_reason: 'stop',
      },
    ],
    usage: { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 },
  });
  const chunk = (choices: unknown[], extra = {}) =>
    `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'fake-model', choices, ...extra })}\n\n`;
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (c: Buffer) => (body += c.toString()));
    request.on('end', () => {
      const stream = (JSON.parse(body) as { stream?: boolean }).stream === true;
      if (!stream) {
        response.writeHead(200, { 'content-type': 'application/json' }).end(completion);
        return;
      }
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const word of ['Hello ', 'there, ', 'how ', 'can I ', 'help?']) {
        response.write(chunk([{ index: 0, delta: { content: word }, finish_reason: null }]));
      }
      response.write(chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]));
      response.write(chunk([], { usage: { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 } }));
      response.end('data: [DONE]\n\n');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  process.send?.({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` });
}

/** The gateway's app with in-memory stores, as its unit tests build it, listening for real. */
async function serveGateway(upstreamUrl: string): Promise<void> {
  const { gatewayHarness } = await import('../services/model-gateway/test/support/harness.ts');
  const { createOpenAiUpstream } = await import('../services/model-gateway/src/adapters/openai-upstream.ts');
  const h = gatewayHarness({
    upstream: createOpenAiUpstream({ baseUrl: upstreamUrl }),
    requestsPerMinute: 1e9,
    maxInFlight: 1e6,
    upstreamConcurrency: 256,
    realClock: true,
  });
  const keys = await Promise.all(
    Array.from({ length: 50 }, (_, i) => h.hire(`agent-${i}`, { monthlyBudgetUsd: 1e6 })),
  );
  const url = await h.app.listen({ host: '127.0.0.1', port: 0 });
  // CPU time on request: what one core's worth of calls is, however busy the machine.
  process.on('message', () => {
    const { user, system } = process.cpuUsage();
    process.send?.({ cpuMs: (user + system) / 1000 });
  });
  process.send?.({ url: `${url}/v1`, keys });
}

function start(
  kind: string,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; message: { url: string; keys?: string[] } }> {
  const child = fork(import.meta.filename, [], {
    env: { ...process.env, BENCH_ROLE: kind, LOG_LEVEL: 'SILENT', ...env },
  });
  return once(child, 'message').then(([message]) => ({
    child,
    message: message as { url: string; keys?: string[] },
  }));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      calls: { type: 'string', default: '2000' },
      seconds: { type: 'string', default: '10' },
      concurrency: { type: 'string', default: '32' },
    },
  });
  const calls = Number(values.calls);
  const seconds = Number(values.seconds);
  const concurrency = Number(values.concurrency);
  const upstream = await start('upstream');
  const gateway = await start('gateway', { UPSTREAM_URL: upstream.message.url });
  const keys = gateway.message.keys ?? [];
  try {
    const body = (stream: boolean) =>
      JSON.stringify({
        model: 'fake-model',
        stream,
        messages: [
          { role: 'system', content: 'You are a helpful agent. '.repeat(200) },
          { role: 'user', content: 'Say hello.' },
        ],
      });
    const call = async (
      base: string,
      key: string | undefined,
      stream: boolean,
    ): Promise<{ total: number; first: number }> => {
      const begun = performance.now();
      const response = await fetch(`${base}/chat/completions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
        },
        body: body(stream),
      });
      if (response.status !== 200) throw new Error(`status ${response.status}: ${await response.text()}`);
      let first = 0;
      if (stream && response.body !== null) {
        for await (const bytes of response.body) {
          if (first === 0 && Buffer.from(bytes).toString().includes('"content":"Hello'))
            first = performance.now() - begun;
        }
      } else {
        await response.arrayBuffer();
      }
      return { total: performance.now() - begun, first };
    };
    const series = async (base: string, withKey: boolean, stream: boolean) => {
      const samples: { total: number; first: number }[] = [];
      for (let i = 0; i < Math.min(200, calls / 10); i++)
        await call(base, withKey ? keys[i % keys.length] : undefined, stream); // warm-up
      for (let i = 0; i < calls; i++)
        samples.push(await call(base, withKey ? keys[i % keys.length] : undefined, stream));
      return samples;
    };
    const pct = (values: number[], p: number) => {
      const sorted = [...values].sort((a, b) => a - b);
      return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
    };
    const direct = await series(upstream.message.url, false, false);
    const through = await series(gateway.message.url, true, false);
    const directStream = await series(upstream.message.url, false, true);
    const throughStream = await series(gateway.message.url, true, true);

    const gatewayCpuMs = async (): Promise<number> => {
      const reply = once(gateway.child, 'message');
      gateway.child.send('cpu');
      return ((await reply)[0] as { cpuMs: number }).cpuMs;
    };
    // Throughput: `concurrency` clients for `seconds`, keys round-robin.
    const cpuBefore = await gatewayCpuMs();
    let done = 0;
    const until = performance.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async (_, i) => {
        while (performance.now() < until) {
          await call(gateway.message.url, keys[(i + done) % keys.length], false);
          done++;
        }
      }),
    );
    const perSecond = done / seconds;
    const perCpuSecond = (done / ((await gatewayCpuMs()) - cpuBefore)) * 1000;

    const ms = (v: number) => `${v.toFixed(2)} ms`;
    const added = (a: number[], b: number[], p: number) => ms(pct(a, p) - pct(b, p));
    const totals = (s: { total: number }[]) => s.map((x) => x.total);
    const firsts = (s: { first: number }[]) => s.map((x) => x.first);
    const rows: [string, string][] = [
      [
        'non-streamed, direct to the upstream: p50 / p99',
        `${ms(pct(totals(direct), 50))} / ${ms(pct(totals(direct), 99))}`,
      ],
      [
        'non-streamed, through the gateway: p50 / p99',
        `${ms(pct(totals(through), 50))} / ${ms(pct(totals(through), 99))}`,
      ],
      [
        '**added by the gateway, non-streamed: p50 / p99**',
        `${added(totals(through), totals(direct), 50)} / ${added(totals(through), totals(direct), 99)}`,
      ],
      [
        'first streamed token, direct: p50 / p99',
        `${ms(pct(firsts(directStream), 50))} / ${ms(pct(firsts(directStream), 99))}`,
      ],
      [
        'first streamed token, through the gateway: p50 / p99',
        `${ms(pct(firsts(throughStream), 50))} / ${ms(pct(firsts(throughStream), 99))}`,
      ],
      [
        '**added to the first streamed token: p50 / p99**',
        `${added(firsts(throughStream), firsts(directStream), 50)} / ${added(firsts(throughStream), firsts(directStream), 99)}`,
      ],
      [
        `calls per second through one gateway process (${concurrency} clients, ${seconds} s, wall clock)`,
        perSecond.toFixed(0),
      ],
      ['**calls per CPU-second of the gateway process (one core, fully used)**', perCpuSecond.toFixed(0)],
    ];
    const table = ['| measure | value |', '| --- | --- |', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join(
      '\n',
    );
    process.stdout.write(`${table}\n`);
    const docs = resolve(import.meta.dirname, '../docs/benchmarks.md');
    const note = `Measured ${new Date().toISOString().slice(0, 10)} on ${process.arch} (${cpus().length} cores, shared; 1-minute load ${loadavg()[0]?.toFixed(1)} at the end), Node ${process.version}, ${calls} sequential calls per series, a 5 KB prompt.`;
    const section = `<!-- model-gateway:start -->\n${table}\n\n${note}\n<!-- model-gateway:end -->`;
    const current = readFileSync(docs, 'utf8');
    writeFileSync(
      docs,
      current.includes('<!-- model-gateway:start -->')
        ? current.replace(/<!-- model-gateway:start -->[\s\S]*<!-- model-gateway:end -->/, section)
        : `${current.trimEnd()}\n\n## Model gateway (\`node bench/model-gateway.ts\`)\n\nThe latency the model gateway (services/model-gateway) adds to a call against calling a fast fake\nOpenAI-compatible upstream directly, and the calls per second one gateway process serves. The\ngateway runs its real app (key check, limits, budget admission, metering, coalesced reporting)\nwith in-memory stores: on AWS each call adds four parallel DynamoDB adds (a few ms) and, every
15 s per agent, one read of its month's totals.\n\n${section}\n`,
    );
  } finally {
    upstream.child.kill();
    gateway.child.kill();
  }
}
