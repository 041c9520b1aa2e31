// Shared by the browser tests: a fresh data directory, the demo seed, the real server on
// 127.0.0.1:0, and Debian's chromium launched through playwright-core.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const binary = join(process.env.CS_BINARY_DIR ?? 'build', 'src/app/countersign');
export const screenshotDir = process.env.CS_SCREENSHOT_DIR ?? join('build', 'e2e-screenshots');

function childEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('COUNTERSIGN_')) env[k] = v;
  env.COUNTERSIGN_PASSWORD_PROFILE = 'minimal';
  return env;
}

export async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), 'cs-e2e-'));
  const data = join(dir, 'data');
  const demo = JSON.parse(execFileSync(binary, ['demo', 'seed', '--json', '--data-dir', data], { env: childEnv() }));
  const proc = spawn(binary, ['serve', '--listen', '127.0.0.1:0', '--data-dir', data], {
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start')), 30000);
    proc.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
    createInterface({ input: proc.stdout }).on('line', (line) => {
      if (!line.includes('"listening"')) return;
      clearTimeout(timer);
      resolve(JSON.parse(line).url);
    });
  });
  return {
    url,
    demo,
    async stop() {
      const exited = new Promise((resolve) => proc.on('exit', resolve));
      proc.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  mkdirSync(screenshotDir, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'],
  });
}
