/** @file Makes sure Debian's Chromium is at /usr/bin/chromium for the browser test (npm pretest).
 *  Installs it with apt-get when missing and running as root; otherwise says how. */
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const CHROMIUM = '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root) {
    console.error(`${CHROMIUM} is missing: the browser test needs Debian's chromium (sudo apt-get install -y chromium).`);
    process.exit(1);
  }
  console.log('installing Debian chromium for the browser test (apt-get install -y chromium)…');
  const quiet = { stdio: ['ignore', 'ignore', 'inherit'] };
  execFileSync('apt-get', ['update', '-qq'], quiet);
  execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { ...quiet, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}
