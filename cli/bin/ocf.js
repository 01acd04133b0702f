#!/usr/bin/env node
// The `ocf` command. Node 24 runs the TypeScript sources directly (ADR 0002).
import process from 'node:process';
import { main } from '../src/main.ts';

process.exitCode = await main(process.argv.slice(2));
