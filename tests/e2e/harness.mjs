// Shared by the browser tests: a fresh data directory, the demo seed, the real server on
// 127.0.0.1:0, and Debian's chromium launched through playwright-core.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const binaryDir = process.env.CS_BINARY_DIR ?? 'build';
export const binary = join(binaryDir, 'src/app/countersign');
export const screenshotDir = process.env.CS_SCREENSHOT_DIR ?? join('build', 'e2e-screenshots');

export function childEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('COUNTERSIGN_')) env[k] = v;
  env.COUNTERSIGN_PASSWORD_PROFILE = 'minimal';
  return env;
}

// `countersign <args> --json --data-dir <data>`, parsed.
export function cli(data, args) {
  return JSON.parse(execFileSync(binary, [...args, '--json', '--data-dir', data], { env: childEnv() }));
}

// Seeds the demo data, runs `setup(data, demo)` (CLI commands before the server starts, so the
// server never races them), then starts the real server on 127.0.0.1:0. `options.env` adds
// COUNTERSIGN_* settings for the server process only (SMTP sink, webhook targets).
export async function startServer(setup, options = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'cs-e2e-'));
  const data = join(dir, 'data');
  const demo = cli(data, ['demo', 'seed']);
  const extra = setup ? await setup(data, demo) : {};
  const proc = spawn(binary, ['serve', '--listen', '127.0.0.1:0', '--data-dir', data], {
    env: { ...childEnv(), ...(options.env ?? {}) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start')), 30000);
    proc.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
    createInterface({ input: proc.stdout }).on('line', (line) => {
      // The server's own errors explain a failing page better than the page can.
      if (/"level":"(error|critical|warn)/.test(line)) console.error(`server: ${line}`);
      if (!line.includes('"listening"')) return;
      clearTimeout(timer);
      resolve(JSON.parse(line).url);
    });
  });
  return {
    url,
    demo,
    data,
    extra,
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
