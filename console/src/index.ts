import path from 'node:path';

/**
 * Where the built console is (`index.html` and `assets/`): the directory service serves it under
 * /console. Built at install time (`pnpm install` runs console/scripts/build.ts).
 */
export const consoleAssetsDir = path.resolve(import.meta.dirname, '../dist');
