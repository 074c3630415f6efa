// The playground page: drop a file, hash it in a Web Worker with @nearnative/hash (several
// algorithms in one pass), compare its throughput with hash-wasm's on the same file, and
// age-encrypt it to a recipient. Everything runs in this page; nothing is uploaded.
import * as h from '/dist/npm/hash/index.js';

/** Checked by default: one pass over the file computes all of them. */
const DEFAULT_ALGORITHMS = ['sha256', 'sha512', 'sha3-256', 'blake2b-512', 'blake3', 'xxh3-64', 'crc32'];
/** Timed one at a time against hash-wasm. */
const COMPARED = ['sha256', 'blake3'];
const LABELS = {
  sha1: 'SHA-1', sha224: 'SHA-224', sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512',
  'sha3-256': 'SHA3-256', 'sha3-512': 'SHA3-512', 'blake2b-512': 'BLAKE2b-512', 'blake2s-256': 'BLAKE2s-256',
  blake3: 'BLAKE3', xxh64: 'XXH64', 'xxh3-64': 'XXH3-64', 'xxh3-128': 'XXH3-128', crc32: 'CRC-32', crc32c: 'CRC-32C',
};

const $ = (id) => document.getElementById(id);
const state = {
  file: null,
  job: 0, // bumped for every new hashing run; stale runs notice and stop touching the page
  busy: false,
  worker: null, // @nearnative/hash worker for hashing
  peer: null, // hash-wasm worker
  ageWorker: null, // @nearnative/hash worker for age (its module loads on first use)
  urls: {},
};

// ---------------------------------------------------------------- small helpers

function pageError(code, message) {
  return Object.assign(new Error(message), { code });
}

function showError(el, err) {
  const code = err?.code ?? 'error';
  const tag = document.createElement('code');
  tag.className = 'code';
  tag.textContent = code;
  el.replaceChildren(tag, ' ', String(err?.message ?? err));
  el.dataset.code = code;
  el.hidden = false;
}

function hideError(el) {
  el.hidden = true;
  el.replaceChildren();
  delete el.dataset.code;
}

function setStatus(el, stateName, text) {
  el.dataset.state = stateName;
  el.textContent = text;
}

function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) (v /= 1024), i++;
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

const formatMs = (ms) => (ms < 10 ? `${ms.toFixed(2)} ms` : ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`);
/** MB/s with MB = 10^6 bytes, as benchmark tools print it. */
const mbPerS = (bytes, ms) => (bytes > 0 && ms > 0 ? bytes / 1e6 / (ms / 1000) : NaN);
const formatRate = (r) => (Number.isFinite(r) ? (r >= 100 ? r.toFixed(0) : r.toFixed(1)) : '—');
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function blobUrl(key, blob) {
  if (state.urls[key]) URL.revokeObjectURL(state.urls[key]);
  state.urls[key] = URL.createObjectURL(blob);
  return state.urls[key];
}

/** A promise client for the hash-wasm worker (same message shape as the package's worker). */
function peerClient(url) {
  const worker = new Worker(url, { type: 'module' });
  const pending = new Map();
  let next = 1;
  let readyResolve, readyReject;
  const ready = new Promise((ok, fail) => ((readyResolve = ok), (readyReject = fail)));
  worker.onerror = (event) => {
    const err = pageError('internal', `the hash-wasm worker failed: ${event.message ?? 'unknown error'}`);
    readyReject(err);
    for (const { reject } of pending.values()) reject(err);
    pending.clear();
  };
  worker.onmessage = ({ data }) => {
    if (data.ready) return readyResolve();
    const entry = pending.get(data.id);
    if (!entry) return;
    pending.delete(data.id);
    if (data.error) entry.reject(pageError(data.error.code, data.error.message));
    else entry.resolve(data.result);
  };
  return {
    ready,
    call: (method, ...args) => ready.then(() => new Promise((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, method, args });
    })),
    terminate() {
      worker.terminate();
      for (const { reject } of pending.values()) reject(pageError('io', 'the worker was terminated'));
      pending.clear();
    },
  };
}

function startHashWorkers() {
  state.worker?.terminate();
  state.peer?.terminate();
  state.worker = h.spawnWorker();
  state.peer = peerClient(new URL('./hashwasm-worker.js', import.meta.url));
  // Unhandled rejections would show up as page errors; failures surface where they are used.
  state.worker.ready.catch(() => {});
  state.peer.ready.catch(() => {});
}

function ageWorker() {
  state.ageWorker ??= h.spawnWorker();
  return state.ageWorker;
}

// ---------------------------------------------------------------- features

function renderFeatures(f) {
  const el = $('features');
  const badge = (text, cls, title) => {
    const b = document.createElement('span');
    b.className = `badge ${cls ?? ''}`;
    b.textContent = text;
    if (title) b.title = title;
    return b;
  };
  el.replaceChildren(
    f.simd128
      ? badge('simd128 build', 'good', 'this engine validates Wasm SIMD, so the simd128 build was loaded')
      : badge('scalar build', 'warn', 'this engine has no Wasm SIMD, so the scalar build was loaded'),
    badge(`threads: ${f.threads ? 'on' : 'off'}`, '', 'Wasm threads (SharedArrayBuffer) in this build'),
    badge(`flavor: ${f.flavor}`),
    badge(`v${f.version}`),
  );
  el.dataset.state = 'ready';
  el.dataset.simd128 = String(!!f.simd128);
  el.dataset.flavor = f.flavor;
}

// ---------------------------------------------------------------- algorithm choice

function renderAlgorithmChoice() {
  const list = $('alg-list');
  for (const name of h.algorithms()) {
    const label = document.createElement('label');
    label.className = 'chip';
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.value = name;
    box.checked = DEFAULT_ALGORITHMS.includes(name);
    box.dataset.testid = `alg-${name}`;
    label.append(box, ` ${LABELS[name] ?? name}`);
    list.append(label);
  }
}

const chosenAlgorithms = () => [...$('alg-list').querySelectorAll('input:checked')].map((b) => b.value);

// ---------------------------------------------------------------- hashing

function selectFile(file) {
  state.file = file;
  $('file-info').hidden = false;
  $('file-name').textContent = file.name || '(unnamed)';
  $('file-size').textContent = `${formatBytes(file.size)} (${file.size.toLocaleString('en-US')} bytes)`;
  $('file-size').dataset.bytes = String(file.size);
  $('encrypt').disabled = false;
  $('encrypt-result').hidden = true;
  hideError($('encrypt-error'));
  setStatus($('encrypt-status'), 'idle', `Ready to encrypt ${file.name}.`);
  hashFile();
}

let progressFrame = 0;
let lastProgress = null;
function drawProgress() {
  progressFrame = 0;
  if (!lastProgress) return;
  const { bytes, total } = lastProgress;
  const bar = $('hash-progress');
  bar.value = total ? bytes / total : 0;
  $('progress-text').textContent = total
    ? `${Math.floor((100 * bytes) / total)} % · ${formatBytes(bytes)} of ${formatBytes(total)}`
    : formatBytes(bytes);
}
function onProgress(p) {
  lastProgress = p;
  progressFrame ||= requestAnimationFrame(drawProgress);
}

async function hashFile() {
  const file = state.file;
  if (!file) return;
  const job = ++state.job;
  if (state.busy) startHashWorkers(); // abandon the run in flight: a fresh worker is faster than waiting
  const algorithms = chosenAlgorithms();
  hideError($('hash-error'));
  hideError($('compare-error'));
  $('digests').hidden = true;
  $('compare').hidden = true;
  $('compare').dataset.state = 'idle';
  $('compare-method').textContent = '';
  $('progress-row').hidden = true;
  setStatus($('compare-status'), 'idle', 'Runs after the digests.');
  if (algorithms.length === 0) {
    setStatus($('hash-status'), 'error', 'Nothing to compute.');
    showError($('hash-error'), pageError('invalid_input', 'choose at least one digest algorithm above'));
    return;
  }
  state.busy = true;
  $('progress-row').hidden = false;
  onProgress({ bytes: 0, total: file.size });
  setStatus($('hash-status'), 'busy', `Hashing ${file.name} in a Web Worker…`);
  try {
    const t0 = performance.now();
    const digests = await state.worker.hashBlob(file, {
      algorithms,
      onProgress: (p) => job === state.job && onProgress(p),
    });
    const ms = performance.now() - t0;
    if (job !== state.job) return;
    onProgress({ bytes: file.size, total: file.size });
    renderDigests(algorithms, digests);
    setStatus(
      $('hash-status'), 'done',
      `${algorithms.length} digest${algorithms.length > 1 ? 's' : ''} in one pass over ${formatBytes(file.size)}: ` +
        `${formatMs(ms)}${file.size ? ` (${formatRate(mbPerS(file.size, ms))} MB/s)` : ''} in a Web Worker.`,
    );
    await compare(job, file);
    await edgeCheck(job, file, digests);
  } catch (err) {
    if (job !== state.job) return;
    const where = $('digests').hidden ? 'hash' : 'compare';
    showError($(`${where}-error`), err);
    setStatus($(`${where}-status`), 'error', where === 'hash' ? 'Hashing failed.' : 'The comparison failed.');
    if (where === 'compare') $('compare').dataset.state = 'error';
  } finally {
    if (job === state.job) state.busy = false;
  }
}

function renderDigests(algorithms, digests) {
  const body = $('digests').tBodies[0];
  body.replaceChildren();
  for (const name of algorithms) {
    const hex = h.toHex(digests[name]);
    const row = body.insertRow();
    row.dataset.alg = name;
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = LABELS[name] ?? name;
    const code = document.createElement('code');
    code.className = 'digest';
    code.dataset.testid = `digest-${name}`;
    code.dataset.alg = name;
    code.textContent = hex;
    const copy = document.createElement('button');
    copy.type = 'button';
    copy.className = 'copy secondary';
    copy.textContent = 'Copy';
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(hex);
        copy.textContent = 'Copied';
      } catch {
        getSelection().selectAllChildren(code); // no clipboard permission: select it for Ctrl-C
        copy.textContent = 'Selected';
      }
      setTimeout(() => (copy.textContent = 'Copy'), 1500);
    });
    row.append(th);
    row.insertCell().append(code);
    row.insertCell().append(copy);
  }
  $('digests').hidden = false;
}

// ---------------------------------------------------------------- nearnative vs hash-wasm

/** Enough runs to smooth out noise on small files, one run on big ones. */
const runsFor = (size) => Math.max(1, Math.min(5, Math.floor(64e6 / Math.max(size, 1))));

async function compare(job, file) {
  const table = $('compare');
  const runs = runsFor(file.size);
  $('compare-method').textContent =
    `Like with like: each library runs in its own module Web Worker and streams the same File ` +
    `(blob.stream(), the same chunks), one algorithm per pass. Times are wall-clock from this page ` +
    `(postMessage → digest back), median of ${runs} run${runs > 1 ? 's' : ''} after a warm-up, the libraries taking turns; ` +
    `MB/s counts 10^6 bytes. Speed-up = hash-wasm time ÷ nearnative time (above 1× nearnative is faster).`;
  setStatus($('compare-status'), 'busy', 'Measuring…');
  table.dataset.state = 'busy';
  const body = table.tBodies[0];
  body.replaceChildren();
  const cells = {};
  for (const name of COMPARED) {
    const row = body.insertRow();
    row.dataset.alg = name;
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = LABELS[name] ?? name;
    row.append(th);
    cells[name] = {};
    for (const key of ['nn-ms', 'nn-mbs', 'hw-ms', 'hw-mbs', 'speedup', 'agree']) {
      const cell = row.insertCell();
      if (key !== 'agree') cell.className = 'num';
      cell.id = `cmp-${name}-${key}`;
      cell.dataset.testid = `cmp-${name}-${key}`;
      cell.textContent = '…';
      cells[name][key] = cell;
    }
  }
  table.hidden = false;

  // Untimed warm-up of both libraries on up to 4 MiB of the file, so that both are timed with
  // their Wasm compiled and tiered up (V8 starts with a baseline compiler).
  await state.peer.call('prepare', COMPARED);
  const head = file.slice(0, 4 << 20);
  for (const name of COMPARED) {
    await state.worker.hashBlob(head, { algorithms: [name] });
    await state.peer.call('hashBlob', head, name);
  }
  if (job !== state.job) return;
  for (const name of COMPARED) {
    const times = { nn: [], hw: [] };
    let nnHex = '';
    let hwHex = '';
    const timeNearnative = async () => {
      const t0 = performance.now();
      const out = await state.worker.hashBlob(file, { algorithms: [name] });
      times.nn.push(performance.now() - t0);
      nnHex = h.toHex(out[name]);
    };
    const timeHashWasm = async () => {
      const t0 = performance.now();
      hwHex = await state.peer.call('hashBlob', file, name);
      times.hw.push(performance.now() - t0);
    };
    for (let r = 0; r < runs; r++) {
      if (r % 2 === 0) await timeNearnative(), await timeHashWasm();
      else await timeHashWasm(), await timeNearnative();
      if (job !== state.job) return;
    }
    const nnMs = median(times.nn);
    const hwMs = median(times.hw);
    const c = cells[name];
    c['nn-ms'].textContent = formatMs(nnMs);
    c['nn-mbs'].textContent = formatRate(mbPerS(file.size, nnMs));
    c['nn-mbs'].dataset.value = String(mbPerS(file.size, nnMs));
    c['hw-ms'].textContent = formatMs(hwMs);
    c['hw-mbs'].textContent = formatRate(mbPerS(file.size, hwMs));
    c['hw-mbs'].dataset.value = String(mbPerS(file.size, hwMs));
    const ratio = file.size > 0 ? hwMs / nnMs : NaN; // an empty file times only the messaging
    c.speedup.textContent = Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : '—';
    c.speedup.dataset.value = String(ratio);
    c.speedup.classList.toggle('faster', ratio >= 1.05);
    c.speedup.classList.toggle('slower', ratio <= 0.95);
    const same = nnHex === hwHex;
    c.agree.textContent = same ? '✓ same' : '✗ differ';
    c.agree.className = same ? 'ok' : 'bad';
    c.agree.dataset.agree = String(same);
  }
  table.dataset.state = 'done';
  setStatus($('compare-status'), 'done', `Measured on ${file.name} (${formatBytes(file.size)}).`);
}

// ---------------------------------------------------------------- age

async function generateKey() {
  hideError($('encrypt-error'));
  try {
    const { identity, recipient } = await ageWorker().call('age.generateIdentity');
    $('recipient').value = recipient;
    const text = `# created: ${new Date().toISOString()}\n# public key: ${recipient}\n${identity}\n`;
    $('identity').textContent = text;
    $('identity-link').href = blobUrl('identity', new Blob([text], { type: 'text/plain' }));
    $('identity-box').hidden = false;
    $('identity-box').dataset.recipient = recipient;
  } catch (err) {
    showError($('encrypt-error'), err);
  }
}

async function encrypt() {
  const file = state.file;
  const button = $('encrypt');
  hideError($('encrypt-error'));
  $('encrypt-result').hidden = true;
  if (!file) return showError($('encrypt-error'), pageError('invalid_input', 'choose a file first'));
  const recipients = $('recipient').value.split(/[\s,]+/).filter(Boolean);
  if (recipients.length === 0) {
    setStatus($('encrypt-status'), 'error', 'No recipient.');
    return showError($('encrypt-error'), pageError('invalid_input', 'enter a recipient public key (age1…) or generate a key pair'));
  }
  const armor = $('armor').checked;
  button.disabled = true;
  setStatus($('encrypt-status'), 'busy', `Encrypting ${file.name} in a Web Worker…`);
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const t0 = performance.now();
    const sealed = await ageWorker().call('age.encrypt', bytes, { recipients, armor });
    const ms = performance.now() - t0;
    const name = `${file.name || 'file'}.age`;
    const link = $('download-link');
    link.href = blobUrl('sealed', new Blob([sealed], { type: armor ? 'text/plain' : 'application/octet-stream' }));
    link.download = name;
    link.textContent = `Download ${name}`;
    link.dataset.bytes = String(sealed.length);
    link.dataset.armor = String(armor);
    $('encrypt-info').textContent =
      `${formatBytes(sealed.length)}, ${armor ? 'armored' : 'binary'}, for ${recipients.length} recipient` +
      `${recipients.length > 1 ? 's' : ''}, ${formatMs(ms)}`;
    $('encrypt-result').hidden = false;
    setStatus($('encrypt-status'), 'done', `Encrypted ${file.name}.`);
  } catch (err) {
    setStatus($('encrypt-status'), 'error', 'Encryption failed.');
    showError($('encrypt-error'), err);
  } finally {
    button.disabled = !state.file;
  }
}

// ---------------------------------------------------------------- the edge API

/** Digests checked through the HTTP API of the server that served this page. */
const EDGE_ALGORITHMS = ['sha256', 'blake3'];

/**
 * When the page comes from the edge component (`cargo xtask demo`), POSTs the file to its
 * /v1/hash routes and shows that the server, running the same Rust compiled for wasi:http,
 * gives the same digests. Servers without the API (a plain static server) are reported, not
 * treated as errors.
 */
async function edgeCheck(job, file, digests) {
  const status = $('edge-status');
  hideError($('edge-error'));
  $('edge').hidden = true;
  let health;
  try {
    const res = await fetch('/v1/health');
    health = res.ok && (res.headers.get('content-type') ?? '').startsWith('application/json') ? await res.json() : null;
  } catch {
    health = null;
  }
  if (job !== state.job) return;
  if (!health) {
    setStatus(status, 'unavailable', 'This page is served without the /v1 API; run `cargo xtask demo` to serve it from the edge component.');
    return;
  }
  setStatus(status, 'busy', `Sending ${file.name} to POST /v1/hash/… on this server…`);
  try {
    await edgeDigests(job, file, digests, health);
  } catch (err) {
    if (job !== state.job) return;
    showError($('edge-error'), err);
    setStatus(status, 'error', 'The request to the edge API failed.');
  }
}

async function edgeDigests(job, file, digests, health) {
  const status = $('edge-status');
  const body = $('edge').tBodies[0];
  body.replaceChildren();
  for (const alg of EDGE_ALGORITHMS) {
    const t0 = performance.now();
    const res = await fetch(`/v1/hash/${alg}`, { method: 'POST', body: file, headers: { 'content-type': 'application/octet-stream' } });
    const reply = await res.json();
    if (!res.ok) throw pageError(reply.error?.code ?? 'internal', reply.error?.message ?? `HTTP ${res.status}`);
    const ms = performance.now() - t0;
    if (job !== state.job) return;
    const local = h.toHex(digests[alg] ?? h.digest(alg, new Uint8Array(await file.arrayBuffer())));
    const row = body.insertRow();
    row.insertCell().append(Object.assign(document.createElement('code'), { textContent: `POST /v1/hash/${alg}` }));
    row.insertCell().append(Object.assign(document.createElement('code'), { className: 'digest', textContent: reply.hex }));
    row.insertCell().textContent = formatMs(ms);
    const agree = row.insertCell();
    agree.dataset.testid = `edge-${alg}-agree`;
    agree.dataset.agree = String(reply.hex === local);
    agree.textContent = reply.hex === local ? 'yes' : 'NO';
  }
  $('edge').hidden = false;
  setStatus(status, 'done',
    `Server: nearnative ${health.version} on ${health.host} (${health.build.target_arch}` +
      `${health.build.simd128 ? ', simd128' : ''}); the file was streamed to it, not buffered.`);
}

// ---------------------------------------------------------------- wiring

function wire() {
  const zone = $('dropzone');
  const over = (e) => {
    e.preventDefault(); // accept the drop
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    zone.classList.add('over');
  };
  zone.addEventListener('dragenter', over);
  zone.addEventListener('dragover', over);
  zone.addEventListener('dragleave', (e) => {
    if (!zone.contains(e.relatedTarget)) zone.classList.remove('over');
  });
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    const file = e.dataTransfer?.files?.[0];
    if (file) selectFile(file);
    else showError($('hash-error'), pageError('invalid_input', 'that drop held no file'));
  });
  // A file dropped beside the zone must not make the browser navigate away from the page.
  for (const type of ['dragover', 'drop']) window.addEventListener(type, (e) => e.preventDefault());

  $('file-input').addEventListener('change', (e) => {
    const file = e.target.files?.[0];
    if (file) selectFile(file);
    e.target.value = ''; // choosing the same file again still fires 'change'
  });
  $('rehash').addEventListener('click', () => hashFile());
  // The secret key box belongs to the generated recipient; hide it once that is no longer used.
  $('recipient').addEventListener('input', () => {
    const box = $('identity-box');
    if (!box.hidden && !$('recipient').value.includes(box.dataset.recipient)) box.hidden = true;
  });
  $('keygen').addEventListener('click', generateKey);
  $('encrypt-form').addEventListener('submit', (e) => {
    e.preventDefault();
    encrypt();
  });
}

renderAlgorithmChoice();
wire();
startHashWorkers();
state.worker.ready.then(renderFeatures, (err) => {
  $('features').dataset.state = 'error';
  showError($('hash-error'), err);
});
