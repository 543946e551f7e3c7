/**
 * One Chromium per test file, driven by playwright-core: Debian's /usr/bin/chromium (apt-get install
 * chromium), never a browser download. HOTMESH_CHROMIUM overrides the path.
 */
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.HOTMESH_CHROMIUM ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  // --no-sandbox: the tests run as root in CI, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}
