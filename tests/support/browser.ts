import { access } from 'node:fs/promises';
import { chromium, type Browser } from 'playwright-core';

/**
 * The system's Chromium (Debian's `chromium` package; .ci/run installs it), driven by
 * playwright-core. Playwright's own browser downloads cannot work here, so nothing else is tried:
 * without the binary this fails and says how to get it. CHROMIUM_PATH points elsewhere.
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
  try {
    await access(executablePath);
  } catch {
    throw new Error(
      `no Chromium at ${executablePath}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`,
    );
  }
  return chromium.launch({
    executablePath,
    headless: true,
    // CI runs as root, where Chromium's sandbox cannot start; /dev/shm is small in containers.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}
