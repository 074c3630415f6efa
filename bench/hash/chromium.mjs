// Host "chromium": `node bench/hash/chromium.mjs [--quick] [--kernel NAME]...` serves the repo
// with playground/serve.mjs, opens bench/hash/index.html in headless Debian Chromium and prints
// the page's rows, one JSON row per line on stdout; progress on stderr.

import { fileURLToPath } from 'node:url';

import { startServer } from '../../playground/serve.mjs';
import { launchChromium, openPage } from '../../tests/support/browser.mjs';
import { KERNELS } from './harness.mjs';

function parseArgs(argv) {
  const options = { quick: false, kernels: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') options.quick = true;
    else if (argv[i] === '--kernel') options.kernels.push(argv[++i]);
    else throw new Error(`unknown argument '${argv[i]}'; usage: node bench/hash/chromium.mjs [--quick] [--kernel NAME]...`);
  }
  for (const k of options.kernels) if (!KERNELS.includes(k)) throw new Error(`unknown kernel '${k}'; choose from ${KERNELS.join(', ')}`);
  if (!options.kernels.length) options.kernels = KERNELS;
  return options;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const server = await startServer({ port: 0 });
  let browser;
  try {
    browser = await launchChromium();
    const { page, errors } = await openPage(browser, `${server.url}/bench/hash/index.html`);
    await page.waitForFunction(() => window.benchReady === true || undefined, null, { timeout: 30_000 }).catch((err) => {
      throw new Error(`the bench page did not load: ${errors.join('; ') || err.message}`);
    });
    // Progress lines arrive through the console; the rows are the value the page resolves with.
    page.on('console', (msg) => {
      const text = msg.text();
      if (!text.startsWith('{')) process.stderr.write(`${text}\n`);
    });
    const rows = await page.evaluate(
      ({ quick, kernels }) => window.runBench({ quick, kernels, onLine: (line) => console.log(line) }),
      { quick: options.quick, kernels: options.kernels },
    );
    for (const row of rows) process.stdout.write(`${JSON.stringify(row)}\n`);
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    process.stderr.write(`[chromium] done (${await browser.version()})\n`);
  } finally {
    await browser?.close();
    await server.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`bench/hash/chromium.mjs: ${err.stack ?? err}\n`);
    process.exit(1);
  });
}
