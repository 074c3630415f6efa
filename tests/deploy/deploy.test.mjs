// Checks the deployment files in deploy/ (and the Worker's dist/worker/wrangler.toml) as far as
// a tool on this machine can load them; docs/deploy.md says which check covers what and what
// stays untested. Needs `cargo xtask build` (dist/http, dist/worker) and `npm ci`.
//
//   node --test tests/deploy/
//
// No check reaches the network: wrangler runs inside `unshare -n` (an empty network
// namespace) when the machine allows it, which proves it works offline.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseToml } from 'smol-toml';
import { parseAllDocuments } from 'yaml';
import { exec } from '../support/exec.mjs';
import { startHost } from '../support/edge-hosts.mjs';

const ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const at = (...parts) => path.join(ROOT, ...parts);
const COMPONENT = at('dist/http/nearnative-http.wasm');
const WORKER_DIR = at('dist/worker');
const WORKER_FILES = ['worker.mjs', 'nearnative_worker.js', 'nearnative_worker_bg.wasm', 'wrangler.toml', 'config.capnp'];
const SPIN = at('deploy/spin/spin.toml');
const FASTLY = at('deploy/fastly/fastly.toml');
const SPINAPP = at('deploy/kubernetes/spinapp.yaml');
const WADM = at('deploy/kubernetes/wadm.yaml');
const DOC = at('docs/deploy.md');
const BIN = (name) => at('node_modules/.bin', name);

// ---------------------------------------------------------------------------------------------
// What the Rust source says: the variable names (ENV_VARS) and their defaults (DEFAULT_*).

const CONFIG_RS = fs.readFileSync(at('crates/edge/src/config.rs'), 'utf8');

function envVarsFromRust(source) {
  const block = /pub const ENV_VARS:[^=]*=\s*&\[([\s\S]*?)\];/.exec(source);
  assert.ok(block, 'crates/edge/src/config.rs no longer has `pub const ENV_VARS: ... = &[...];`');
  const names = [...block[1].matchAll(/\(\s*"([A-Z0-9_]+)"\s*,/g)].map((m) => m[1]);
  assert.ok(names.length >= 5, `parsed only ${names.length} names from ENV_VARS`);
  return names;
}

/** `NEARNATIVE_X` -> the default as the text a deployment file would carry. */
function defaultsFromRust(source, names) {
  const consts = {};
  for (const m of source.matchAll(/pub const (DEFAULT_[A-Z0-9_]+): u64 = ([^;]+);/g)) {
    const expr = m[2].replaceAll('_', '').trim();
    const shift = /^(\d+)\s*<<\s*(\d+)$/.exec(expr);
    assert.ok(shift || /^\d+$/.test(expr), `cannot evaluate ${m[1]} = ${m[2]}`);
    consts[m[1]] = shift ? String(BigInt(shift[1]) << BigInt(shift[2])) : String(BigInt(expr));
  }
  const out = {};
  for (const name of names) {
    const key = name.replace(/^NEARNATIVE_/, 'DEFAULT_');
    if (key in consts) out[name] = consts[key];
  }
  assert.match(source, /test_routes: false,/, 'Config::new should default test_routes to false');
  out.NEARNATIVE_TEST_ROUTES = '0';
  return out;
}

const ENV_VARS = envVarsFromRust(CONFIG_RS);
const DEFAULTS = defaultsFromRust(CONFIG_RS, ENV_VARS);

/** Every key of `env` must be one of ENV_VARS (a typo would be silently ignored by the host). */
function assertKnownVars(env, where) {
  const unknown = Object.keys(env).filter((k) => !ENV_VARS.includes(k));
  assert.deepEqual(unknown, [], `${where} sets variables that crates/edge/src/config.rs ENV_VARS does not read: ${unknown.join(', ')} (known: ${ENV_VARS.join(', ')})`);
  for (const [k, v] of Object.entries(env)) {
    assert.equal(typeof v, 'string', `${where}: ${k} must be a string, got ${typeof v}`);
    // Config::from_env's rules, so that a bad value fails here at once (a host given one
    // answers every request, /v1/health included, with a 500).
    if (k === 'NEARNATIVE_TEST_ROUTES') assert.match(v.trim(), /^(|0|1|true|false)$/, `${where}: ${k}=${JSON.stringify(v)} must be 1 or 0`);
    else assert.ok(/^\d+$/.test(v.trim()) && BigInt(v.trim()) < 2n ** 64n, `${where}: ${k}=${JSON.stringify(v)} is not a whole number (u64)`);
  }
}

/** The /v1/health limits a host must report when it was given `env`. */
function expectedLimits(env) {
  const value = (name) => BigInt(env[name] ?? DEFAULTS[name]);
  return {
    max_body_bytes: Number(value('NEARNATIVE_MAX_BODY_BYTES')),
    max_buffered_bytes: Number(value('NEARNATIVE_MAX_BUFFERED_BYTES')),
    time_limit_ms: Number(value('NEARNATIVE_TIME_LIMIT_MS')),
    memory_budget_bytes: Number(value('NEARNATIVE_MEMORY_BUDGET_MIB') << 20n),
  };
}

/** Starts `kind` with `env`, checks /v1/health's limits and the test routes' switch, stops it. */
async function assertServesWith(kind, env, where) {
  assertKnownVars(env, where); // fails at once rather than after startHost's 60 s wait
  const host = await startHost(kind, { env });
  try {
    const res = await fetch(`${host.url}/v1/health`);
    const text = await res.text();
    assert.equal(res.status, 200, `${where} on ${kind}: /v1/health answered ${res.status}: ${text}`);
    const health = JSON.parse(text);
    assert.deepEqual(health.limits, expectedLimits(env), `${where} on ${kind}: limits differ from the file's values`);
    const testRoutes = ['1', 'true'].includes(env.NEARNATIVE_TEST_ROUTES ?? '0');
    if (!testRoutes) {
      const probe = await fetch(`${host.url}/v1/_test/spin`, { method: 'POST' });
      await probe.arrayBuffer();
      assert.equal(probe.status, 404, `${where}: /v1/_test/* must not exist with NEARNATIVE_TEST_ROUTES off`);
    }
    return health;
  } finally {
    await host.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Artifacts: the files the deployment files point at must exist after `cargo xtask build`.

/** Fails (never skips) when a build artifact is missing; waits a little in case of a rebuild. */
async function requireArtifacts(paths) {
  for (let i = 0; i < 30 && !paths.every((p) => fs.existsSync(p)); i++) await new Promise((r) => setTimeout(r, 1000));
  const missing = paths.filter((p) => !fs.existsSync(p)).map((p) => path.relative(ROOT, p));
  assert.deepEqual(missing, [], `build artifacts missing: ${missing.join(', ')}; run \`cargo xtask build\` first (the deployment files point at them)`);
}

const sha256 = (file) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

// ---------------------------------------------------------------------------------------------
// Running a CLI offline.

let WORK;
let UNSHARE = false;
before(async () => {
  WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'nearnative-deploy-test-'));
  try {
    UNSHARE = (await exec('unshare', ['-n', 'true'], { timeout: 10_000 })).code === 0;
  } catch {
    UNSHARE = false; // no unshare(1) on this machine
  }
  await requireArtifacts([COMPONENT, ...WORKER_FILES.map((f) => path.join(WORKER_DIR, f))]);
});
after(() => {
  if (WORK) fs.rmSync(WORK, { recursive: true, force: true });
});

/** Runs a CLI with a throw-away HOME, in an empty network namespace when possible. */
async function offline(t, cmd, args, { cwd, env = {} } = {}) {
  const home = fs.mkdtempSync(path.join(WORK, 'home-'));
  const fullEnv = { HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), CI: 'true', ...env };
  if (!UNSHARE) t.diagnostic('unshare -n is not available here: ran with the network as it is');
  const started = Date.now();
  const result = UNSHARE
    ? await exec('unshare', ['-n', cmd, ...args], { cwd, env: fullEnv, timeout: 60_000 })
    : await exec(cmd, args, { cwd, env: fullEnv, timeout: 60_000 });
  t.diagnostic(`${path.basename(cmd)} ${args.slice(0, 3).join(' ')}: exit ${result.code} in ${Date.now() - started} ms${UNSHARE ? ' (no network)' : ''}`);
  return { ...result, out: `${result.stdout}${result.stderr}` };
}

function readToml(file) {
  try {
    // Plain objects (smol-toml returns null-prototype ones), so deepStrictEqual compares values.
    return JSON.parse(JSON.stringify(parseToml(fs.readFileSync(file, 'utf8'))));
  } catch (e) {
    assert.fail(`${path.relative(ROOT, file)} is not valid TOML: ${e.message}`);
  }
}

function readYaml(file) {
  const docs = parseAllDocuments(fs.readFileSync(file, 'utf8'));
  assert.equal(docs.length, 1, `${path.relative(ROOT, file)}: expected exactly one YAML document`);
  const [doc] = docs;
  assert.deepEqual(doc.errors.map(String), [], `${path.relative(ROOT, file)} is not valid YAML`);
  assert.deepEqual(doc.warnings.map(String), [], `${path.relative(ROOT, file)}: YAML warnings`);
  return doc.toJS();
}

function assertOnlyKeys(object, allowed, where) {
  const extra = Object.keys(object ?? {}).filter((k) => !allowed.includes(k));
  assert.deepEqual(extra, [], `${where}: unknown keys ${extra.join(', ')} (allowed: ${allowed.join(', ')})`);
}

// ---------------------------------------------------------------------------------------------

describe('the wasi:http component the Spin, wasmCloud and Fastly files point at', () => {
  test('exports wasi:http/incoming-handler@0.2.x and imports nothing those hosts lack (jco wit)', async () => {
    const r = await exec(BIN('jco'), ['wit', COMPONENT], { timeout: 60_000 });
    assert.equal(r.code, 0, `jco wit failed: ${r.stderr}`);
    const wit = r.stdout.toString();
    const names = (kind) => [...wit.matchAll(new RegExp(`^\\s*${kind} ([^;]+);`, 'gm'))].map((m) => m[1]);
    const exports = names('export');
    const imports = names('import');
    // Spin (crates/http/src/trigger.rs) and wasmCloud 1.x match exports by the `@0.2` prefix.
    assert.ok(exports.some((e) => /^wasi:http\/incoming-handler@0\.2\.\d+$/.test(e)), `exports: ${exports.join(', ')}`);
    // What Spin, wasmCloud and `wasmtime serve -Scli` all link for every component: no sockets,
    // no outgoing HTTP, no wasi:config (wasmCloud's `config` would need it).
    const provided = /^wasi:(io\/(poll|error|streams)|clocks\/(monotonic-clock|wall-clock)|random\/(random|insecure|insecure-seed)|cli\/[a-z-]+|filesystem\/(types|preopens)|http\/types)@0\.2\.\d+$/;
    assert.deepEqual(imports.filter((i) => !provided.test(i)), [], 'imports outside wasi:cli/io/clocks/random/filesystem/http-types');
    // Pins the "Fastly cannot run it" statement of docs/deploy.md: no Fastly entry point or ABI.
    assert.ok(![...exports, ...imports].some((n) => n.startsWith('fastly:')), 'the component now speaks Fastly\'s ABI: update docs/deploy.md and deploy/fastly/fastly.toml');
  });
});

describe('Spin: deploy/spin/spin.toml', () => {
  let manifest;
  before(() => {
    manifest = readToml(SPIN);
  });

  test('is a manifest v2 with the keys Spin accepts (Spin denies unknown fields)', () => {
    assert.equal(manifest.spin_manifest_version, 2);
    assertOnlyKeys(manifest, ['spin_manifest_version', 'application', 'variables', 'trigger', 'component'], 'top level');
    assertOnlyKeys(manifest.application, ['name', 'version', 'description', 'authors', 'targets', 'trigger', 'tool'], '[application]');
    assert.equal(typeof manifest.application.name, 'string');
    assert.deepEqual(Object.keys(manifest.trigger), ['http']);
    assert.equal(manifest.trigger.http.length, 1, 'one HTTP trigger');
    const [trigger] = manifest.trigger.http;
    assertOnlyKeys(trigger, ['id', 'component', 'components', 'dependencies', 'static_response', 'route', 'executor'], '[[trigger.http]]');
    assert.equal(trigger.route, '/...', 'the whole API (and the demo page) sits under one route');
    assert.deepEqual(Object.keys(manifest.component), [trigger.component], 'the trigger names the one component');
    const component = manifest.component[trigger.component];
    assert.match(trigger.component, /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, 'component ids are kebab-case');
    assertOnlyKeys(component, ['source', 'description', 'variables', 'environment', 'files', 'exclude_files', 'allowed_http_hosts', 'allowed_outbound_hosts', 'key_value_stores', 'sqlite_databases', 'ai_models', 'targets', 'build', 'tool', 'dependencies_inherit_configuration', 'dependencies', 'profile'], `[component.${trigger.component}]`);
    assert.deepEqual(component.allowed_outbound_hosts ?? [], [], 'nearnative makes no outgoing requests');
  });

  test('source is dist/http/nearnative-http.wasm, relative to the manifest', () => {
    const [trigger] = manifest.trigger.http;
    const source = manifest.component[trigger.component].source;
    assert.equal(typeof source, 'string', 'a local file source');
    const resolved = path.resolve(path.dirname(SPIN), source);
    assert.equal(resolved, COMPONENT);
    assert.ok(fs.existsSync(resolved), `${source} (from deploy/spin) does not exist: run \`cargo xtask build\``);
  });

  test('environment sets every ENV_VARS variable, to the defaults of crates/edge/src/config.rs', () => {
    const env = manifest.component[manifest.trigger.http[0].component].environment;
    assertKnownVars(env, 'spin.toml environment');
    assert.deepEqual(Object.keys(env).sort(), [...ENV_VARS].sort(), 'spin.toml should list every variable');
    assert.deepEqual(env, DEFAULTS, 'spin.toml environment should carry the built-in defaults');
  });

  test('the component started with that environment (by wasmtime serve, not Spin) reports those limits', async () => {
    const env = manifest.component[manifest.trigger.http[0].component].environment;
    await assertServesWith('wasmtime-serve', env, 'spin.toml environment');
  });
});

describe('SpinKube: deploy/kubernetes/spinapp.yaml', () => {
  let app;
  before(() => {
    app = readYaml(SPINAPP);
  });

  test('is a SpinApp with the fields of the spin-operator CRD (core.spinkube.dev/v1alpha1)', () => {
    assert.equal(app.apiVersion, 'core.spinkube.dev/v1alpha1');
    assert.equal(app.kind, 'SpinApp');
    assert.match(app.metadata?.name ?? '', /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'metadata.name must be a DNS label');
    assertOnlyKeys(app, ['apiVersion', 'kind', 'metadata', 'spec'], 'top level');
    const spec = app.spec;
    assertOnlyKeys(spec, ['checks', 'components', 'deploymentAnnotations', 'enableAutoscaling', 'executor', 'image', 'imagePullSecrets', 'invocationLimits', 'podAnnotations', 'podLabels', 'replicas', 'resources', 'runtimeConfig', 'serviceAccountName', 'serviceAnnotations', 'variables', 'volumeMounts', 'volumes'], 'spec');
    assert.equal(spec.executor, 'containerd-shim-spin');
    assert.equal(typeof spec.image, 'string');
    assert.ok(Number.isInteger(spec.replicas) && spec.replicas > 1, 'many replicas');
    assert.ok(!spec.enableAutoscaling, 'replicas cannot be set together with enableAutoscaling');
    assertOnlyKeys(spec.resources, ['limits', 'requests'], 'spec.resources');
    const quantity = /^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$/;
    for (const [kind, values] of Object.entries(spec.resources)) {
      for (const [name, v] of Object.entries(values)) assert.match(String(v), quantity, `resources.${kind}.${name}`);
    }
    assertOnlyKeys(spec.checks, ['liveness', 'readiness'], 'spec.checks');
    for (const probe of Object.values(spec.checks)) assert.equal(probe.httpGet?.path, '/v1/health');
  });

  test('the image is the documented placeholder for `spin registry push` of deploy/spin/spin.toml', () => {
    const doc = fs.readFileSync(DOC, 'utf8');
    assert.ok(doc.includes(`spin registry push -f deploy/spin/spin.toml ${app.spec.image}`), `docs/deploy.md should show how to produce ${app.spec.image}`);
  });
});

describe('wasmCloud: deploy/kubernetes/wadm.yaml', () => {
  let manifest;
  before(() => {
    manifest = readYaml(WADM);
  });

  test('is a wadm Application (core.oam.dev/v1beta1) as its OAM schema requires', () => {
    assert.equal(manifest.apiVersion, 'core.oam.dev/v1beta1');
    assert.equal(manifest.kind, 'Application');
    assert.equal(typeof manifest.metadata?.name, 'string');
    assert.equal(typeof manifest.metadata?.annotations, 'object', 'metadata.annotations is required');
    for (const [k, v] of Object.entries(manifest.metadata.annotations)) assert.equal(typeof v, 'string', `annotation ${k}`);
    const components = manifest.spec?.components;
    assert.ok(Array.isArray(components) && components.length === 2);
    const names = components.map((c) => c.name);
    assert.equal(new Set(names).size, names.length, 'component names are unique');
    for (const c of components) {
      assert.ok(['component', 'capability'].includes(c.type), `${c.name}: type`);
      assert.equal(typeof c.properties?.image, 'string', `${c.name}: properties.image`);
      for (const t of c.traits ?? []) {
        assertOnlyKeys(t, ['type', 'properties'], `${c.name} trait`);
        if (t.type === 'spreadscaler' || t.type === 'daemonscaler') {
          assertOnlyKeys(t.properties, ['instances', 'spread'], `${c.name} ${t.type}`);
          assert.ok(Number.isInteger(t.properties.instances) && t.properties.instances >= 0);
        }
      }
    }
  });

  test('runs many instances of the component behind the httpserver provider', () => {
    const [component] = manifest.spec.components.filter((c) => c.type === 'component');
    const [server] = manifest.spec.components.filter((c) => c.type === 'capability');
    const scaler = component.traits.find((t) => t.type === 'spreadscaler');
    assert.ok(scaler?.properties.instances > 1, 'a spreadscaler with many instances');
    assert.match(server.properties.image, /^ghcr\.io\/wasmcloud\/http-server:\d+\.\d+\.\d+$/);
    const link = server.traits.find((t) => t.type === 'link')?.properties;
    assert.ok(link, 'the httpserver links to the component');
    assert.equal(link.target.name, component.name);
    assert.deepEqual([link.namespace, link.package, link.interfaces], ['wasi', 'http', ['incoming-handler']]);
    const address = link.source?.config?.flatMap((c) => Object.entries(c.properties ?? {})).find(([k]) => k === 'address')?.[1];
    assert.match(address ?? '', /^[0-9.]+:\d+$/, 'the server address');
  });

  test('sets no NEARNATIVE_* config, which wasmCloud 1.x would not pass as environment variables', () => {
    const [component] = manifest.spec.components.filter((c) => c.type === 'component');
    assert.equal(component.properties.config, undefined, 'component config reaches wasi:config/store, which nearnative-http does not read: it would be silently ignored');
    assert.doesNotMatch(fs.readFileSync(WADM, 'utf8'), /NEARNATIVE_[A-Z]/, 'no NEARNATIVE_* values in wadm.yaml');
  });

  test('the image is the documented placeholder for pushing dist/http/nearnative-http.wasm', () => {
    const [component] = manifest.spec.components.filter((c) => c.type === 'component');
    const doc = fs.readFileSync(DOC, 'utf8');
    assert.ok(doc.includes(`wash push ${component.properties.image} dist/http/nearnative-http.wasm`), `docs/deploy.md should show how to produce ${component.properties.image}`);
  });
});

describe('Fastly: deploy/fastly/fastly.toml', () => {
  let manifest;
  before(() => {
    manifest = readToml(FASTLY);
  });

  test('is a manifest_version 3 package manifest whose config store keys are ENV_VARS', () => {
    assert.equal(manifest.manifest_version, 3);
    assert.equal(manifest.language, 'other');
    const items = manifest.setup.config_stores.nearnative.items;
    const setupValues = Object.fromEntries(Object.entries(items).map(([k, v]) => [k, v.value]));
    assertKnownVars(setupValues, 'fastly.toml [setup.config_stores.nearnative]');
    assert.deepEqual(Object.keys(setupValues).sort(), [...ENV_VARS].sort());
    const local = manifest.local_server.config_stores.nearnative;
    assert.equal(local.format, 'inline-toml');
    assert.deepEqual(local.contents, setupValues, 'the local store and the setup store should agree');
  });

  test('its values are accepted by nearnative\'s Config::from_env (through wasmtime serve, not Fastly)', async () => {
    const env = manifest.local_server.config_stores.nearnative.contents;
    await assertServesWith('wasmtime-serve', env, 'fastly.toml config store');
  });
});

describe('Cloudflare: dist/worker/wrangler.toml', () => {
  let manifest;
  before(() => {
    manifest = readToml(path.join(WORKER_DIR, 'wrangler.toml'));
  });

  test('points at files that exist and sets only ENV_VARS as [vars]', () => {
    assert.ok(fs.existsSync(path.join(WORKER_DIR, manifest.main)), `main = ${manifest.main} is missing in dist/worker`);
    assertKnownVars(manifest.vars ?? {}, 'wrangler.toml [vars]');
    const capnp = fs.readFileSync(path.join(WORKER_DIR, 'config.capnp'), 'utf8');
    for (const [, file] of capnp.matchAll(/embed "([^"]+)"/g)) assert.ok(fs.existsSync(path.join(WORKER_DIR, file)), `config.capnp embeds ${file}, which is missing`);
    const bindings = Object.fromEntries([...capnp.matchAll(/\(name = "([A-Z0-9_]+)", text = "([^"]*)"\)/g)].map((m) => [m[1], m[2]]));
    assertKnownVars(bindings, 'config.capnp bindings');
    assert.deepEqual(bindings, manifest.vars, 'workerd (config.capnp) and Cloudflare (wrangler.toml) should get the same values');
    assert.equal(/compatibilityDate = "([^"]+)"/.exec(capnp)?.[1], manifest.compatibility_date, 'the same compatibility date');
  });

  test('`wrangler deploy --dry-run` builds the upload offline: worker.mjs, the glue and the Wasm as a compiled module', async (t) => {
    // wrangler 4.164 asks for Node >= 22.12 in its launcher (bin/wrangler.js) and only warns
    // in the CLI itself; the launcher is skipped so that the Node of this repo can run it.
    const [major, minor] = process.versions.node.split('.').map(Number);
    if (major < 22 || (major === 22 && minor < 12)) t.diagnostic(`Node ${process.versions.node} is below wrangler's supported 22.12: ran wrangler-dist/cli.js directly`);
    const dir = fs.mkdtempSync(path.join(WORK, 'wrangler-'));
    for (const f of fs.readdirSync(WORKER_DIR)) fs.copyFileSync(path.join(WORKER_DIR, f), path.join(dir, f));
    const outdir = path.join(dir, 'out');
    const cli = at('node_modules/wrangler/wrangler-dist/cli.js');
    const r = await offline(t, process.execPath, ['--no-warnings', cli, 'deploy', '--dry-run', '--outdir', outdir], {
      cwd: dir,
      env: { WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    assert.equal(r.code, 0, `wrangler deploy --dry-run failed:\n${r.out}`);
    assert.match(r.out, /--dry-run: exiting now/);
    assert.match(r.out, /nearnative_worker_bg\.wasm\s*│\s*compiled-wasm/, 'the Wasm must go up as a compiled module (CompiledWasm rule)');
    for (const name of Object.keys(manifest.vars ?? {})) assert.match(r.out, new RegExp(`env\\.${name} \\("${manifest.vars[name]}"\\)`), `binding ${name}`);
    for (const f of ['worker.mjs', 'nearnative_worker.js', 'nearnative_worker_bg.wasm']) {
      assert.ok(fs.existsSync(path.join(outdir, f)), `${f} missing from the dry-run output`);
      assert.equal(sha256(path.join(outdir, f)), sha256(path.join(WORKER_DIR, f)), `${f} is uploaded unchanged (no_bundle)`);
    }
  });

  test('the Worker started with those [vars] (by workerd, not Cloudflare) reports those limits', async () => {
    await assertServesWith('workerd', manifest.vars ?? {}, 'wrangler.toml [vars]');
  });
});

describe('docs/deploy.md', () => {
  test('covers every deployment file and every variable', () => {
    const doc = fs.readFileSync(DOC, 'utf8');
    for (const file of [SPIN, FASTLY, SPINAPP, WADM, path.join(WORKER_DIR, 'wrangler.toml')]) {
      assert.ok(doc.includes(path.relative(ROOT, file)), `docs/deploy.md does not mention ${path.relative(ROOT, file)}`);
    }
    for (const name of ENV_VARS) assert.ok(doc.includes(name), `docs/deploy.md does not mention ${name}`);
    assert.ok(doc.includes('tests/deploy/deploy.test.mjs'));
  });
});
