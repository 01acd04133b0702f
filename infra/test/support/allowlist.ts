import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { IamSnapshot, managedPolicySnapshot } from './iam-snapshot.ts';

export interface Allowlist {
  readonly environment: string;
  readonly roles: IamSnapshot;
  readonly managedPolicies: ReturnType<typeof managedPolicySnapshot>;
}

export const ALLOWLIST_FILE = path.resolve(import.meta.dirname, '../../iam-allowlist.json');

export function readAllowlist(): Allowlist {
  return JSON.parse(readFileSync(ALLOWLIST_FILE, 'utf8')) as Allowlist;
}
