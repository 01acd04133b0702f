// Loaded with `node --import` into a bench process (bench/cascade-compare.ts does it for both
// sides). Node's fetch gives up on an answer whose headers take longer than 300 s (undici's
// default `headersTimeout`), and the org import of commits from before ADR 0032 answers only
// once every agent of the org is hired: ~600 s at N = 300 on this machine. Such a run failed
// with "TypeError: fetch failed" instead of measuring. A bench waits for as long as the answer
// takes (its own --timeout-s bounds the run), so both timeouts are off, for this process only:
// the services the bench starts are other processes and keep their own settings.
//
// Node's fetch reads its dispatcher from the global that undici's setGlobalDispatcher sets, so
// the package pinned at the version Node 24 bundles changes the fetch every bench version uses.
import { Agent, setGlobalDispatcher } from 'undici';

setGlobalDispatcher(new Agent({ headersTimeout: 0, bodyTimeout: 0 }));
