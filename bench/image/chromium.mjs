// Host "chromium": `node bench/image/chromium.mjs [--quick] [--job NAME]... [--inputs DIR]` serves
// the repo with playground/serve.mjs, opens bench/image/index.html in headless Debian Chromium
// and prints the page's rows, one JSON row per line on stdout; progress on stderr. The JPEG
// inputs (made by `cargo xtask bench image` under target/) reach the page through a route.

import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { startServer } from '../../playground/serve.mjs';
import { launchChromium, openPage } from '../../tests/support/browser.mjs';
import { JOBS, TIMED_JOBS } from './harness.mjs';

function parseArgs(argv) {
  const options = { quick: false, jobs: [], inputs: 'target/bench-image' };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') options.quick = true;
    else if (argv[i] === '--job') options.jobs.push(argv[++i]);
    else if (argv[i] === '--inputs') options.inputs = argv[++i];
    else throw new Error(`unknown argument '${argv[i]}'; usage: node bench/image/chromium.mjs [--quick] [--job NAME]... [--inputs DIR]`);
  }
  for (const j of options.jobs) if (!JOBS[j]) throw new Error(`unknown job '${j}'; choose from ${Object.keys(JOBS).join(', ')}`);
  if (!options.jobs.length) options.jobs = TIMED_JOBS;
  return options;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const server = await startServer({ port: 0 });
  let browser;
  try {
    browser = await launchChromium();
    const context = await browser.newContext();
    await context.route('**/target-inputs/*', async (route) => {
      const name = basename(new URL(route.request().url()).pathname);
      await route.fulfill({ body: await readFile(join(options.inputs, name)), contentType: 'image/jpeg' });
    });
    const { page, errors } = await openPage(context, `${server.url}/bench/image/index.html`);
    await page.waitForFunction(() => window.benchReady === true || undefined, null, { timeout: 60_000 }).catch((err) => {
      throw new Error(`the bench page did not load: ${errors.join('; ') || err.message}`);
    });
    page.on('console', (msg) => process.stderr.write(`${msg.text()}\n`));
    const rows = await page.evaluate(
      ({ quick, jobs }) => window.runBench({ quick, jobs, onLine: (line) => console.log(line) }),
      { quick: options.quick, jobs: options.jobs },
    );
    for (const row of rows) process.stdout.write(`${JSON.stringify(row)}\n`);
    if (errors.length) process.stderr.write(`[chromium] page errors: ${errors.join('; ')}\n`);
    process.stderr.write(`[chromium] done (${await browser.version()})\n`);
  } finally {
    await browser?.close();
    await server.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`bench/image/chromium.mjs: ${err.stack ?? err}\n`);
    process.exit(1);
  });
}
