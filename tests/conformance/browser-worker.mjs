// The handler is registered before anything is awaited: messages that arrive while a module
// worker is still evaluating its top-level awaits would otherwise be dropped.
const modules = Promise.all([import('/dist/npm/hash/index.js'), import('./vectors-js.mjs')]);

self.onmessage = async ({ data: names }) => {
  try {
    const [api, { runVectorFile }] = await modules;
    const results = [];
    for (const name of names) {
      const doc = await (await fetch(`/tests/vectors/${name}`)).json();
      results.push(await runVectorFile(api, doc));
    }
    self.postMessage({ features: api.features(), results });
  } catch (err) {
    self.postMessage({ error: String(err?.stack ?? err) });
  }
};
