import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { IamSnapshot } from './iam-snapshot.ts';

export const ALLOWLIST_FILE = path.resolve(import.meta.dirname, '../../iam-allowlist.json');

export function readAllowlist(): { environment: string; roles: IamSnapshot } {
  return JSON.parse(readFileSync(ALLOWLIST_FILE, 'utf8')) as { environment: string; roles: IamSnapshot };
}
