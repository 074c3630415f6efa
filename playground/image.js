// The playground's image panel: choose or drop an image, compose steps (the step vocabulary of
// @nearnative/image's sharp-shaped chain), run the job in the package's Web Worker pool, show
// the result and its time beside pica's (loaded from /node_modules, pure-JS path) on the
// part of the job pica can do: resizing. Nothing leaves the page.
import image, { build, pool } from '/dist/npm/image/index.js';

const $ = (id) => document.getElementById(id);

/** Step kinds: label, parameters (name, default, input attributes). */
const KINDS = {
  resize: { label: 'Resize', params: [['width', 800, { min: 1 }], ['height', '', { min: 1 }]], fit: true },
  blur: { label: 'Gaussian blur (σ)', params: [['sigma', 2, { min: 0.3, step: 0.1 }]] },
  sharpen: { label: 'Sharpen (σ)', params: [['sigma', 1, { min: 0.3, step: 0.1 }]] },
  grayscale: { label: 'Grayscale', params: [] },
  rotate: { label: 'Rotate (degrees)', params: [['angle', 90, { step: 1 }]] },
  brightness: { label: 'Brightness (×)', params: [['factor', 1.2, { min: 0, step: 0.05 }]] },
  contrast: { label: 'Contrast (×)', params: [['factor', 1.2, { min: 0, step: 0.05 }]] },
  saturation: { label: 'Saturation (×)', params: [['factor', 1.3, { min: 0, step: 0.05 }]] },
  hue: { label: 'Hue rotate (degrees)', params: [['degrees', 30, { step: 1 }]] },
  gamma: { label: 'Gamma', params: [['gamma', 2.2, { min: 1, max: 3, step: 0.1 }]] },
  negate: { label: 'Invert', params: [] },
  flip: { label: 'Flip (top ↔ bottom)', params: [] },
  flop: { label: 'Flop (left ↔ right)', params: [] },
};
const FITS = ['inside', 'cover', 'contain', 'fill', 'outside'];
const FILTERS = ['lanczos3', 'mitchell', 'cubic', 'linear', 'nearest'];

const state = { file: null, bytes: null, steps: [], url: null, running: false };

function showError(err) {
  const el = $('image-error');
  el.textContent = `${err?.code ? `${err.code}: ` : ''}${err?.message ?? err}`;
  el.dataset.code = err?.code ?? 'error';
  el.hidden = false;
}

function num(v) {
  return v === '' || v === null || v === undefined ? null : Number(v);
}

// ---------------------------------------------------------------- the step list

function renderSteps() {
  const list = $('image-steps');
  list.replaceChildren();
  state.steps.forEach((step, index) => {
    const li = document.createElement('li');
    li.dataset.op = step.op;
    const name = document.createElement('strong');
    name.textContent = KINDS[step.op].label;
    li.append(name);
    for (const [param, , attrs] of KINDS[step.op].params) {
      const label = document.createElement('label');
      label.className = 'param';
      const input = Object.assign(document.createElement('input'), { type: 'number', value: step[param] ?? '' });
      Object.assign(input, attrs);
      input.dataset.testid = `image-step-${index}-${param}`;
      input.setAttribute('data-testid', input.dataset.testid);
      input.addEventListener('input', () => (step[param] = input.value));
      label.append(`${param} `, input);
      li.append(label);
    }
    if (KINDS[step.op].fit) {
      for (const [key, options] of [['fit', FITS], ['kernel', FILTERS]]) {
        const label = document.createElement('label');
        label.className = 'param';
        const select = document.createElement('select');
        select.setAttribute('data-testid', `image-step-${index}-${key}`);
        for (const o of options) select.append(new Option(o, o, false, o === step[key]));
        select.addEventListener('change', () => (step[key] = select.value));
        label.append(`${key} `, select);
        li.append(label);
      }
    }
    const remove = Object.assign(document.createElement('button'), { type: 'button', className: 'secondary', textContent: 'Remove' });
    remove.addEventListener('click', () => {
      state.steps.splice(index, 1);
      renderSteps();
    });
    li.append(remove);
    list.append(li);
  });
}

function addStep(op) {
  const step = { op };
  for (const [param, value] of KINDS[op].params) step[param] = value;
  if (KINDS[op].fit) Object.assign(step, { fit: 'inside', kernel: 'lanczos3' });
  state.steps.push(step);
  renderSteps();
}

/** The chain for the current steps on `input`. */
function buildChain(input) {
  let chain = image(input);
  for (const s of state.steps) {
    switch (s.op) {
      case 'resize': chain = chain.resize(num(s.width), num(s.height), { fit: s.fit, kernel: s.kernel }); break;
      case 'blur': chain = chain.blur(Number(s.sigma)); break;
      case 'sharpen': chain = chain.sharpen({ sigma: Number(s.sigma) }); break;
      case 'grayscale': chain = chain.grayscale(); break;
      case 'rotate': chain = chain.rotate(Number(s.angle)); break;
      case 'brightness': chain = chain.modulate({ brightness: Number(s.factor) }); break;
      case 'contrast': chain = chain.linear(Number(s.factor), 128 * (1 - Number(s.factor))); break;
      case 'saturation': chain = chain.modulate({ saturation: Number(s.factor) }); break;
      case 'hue': chain = chain.modulate({ hue: Number(s.degrees) }); break;
      case 'gamma': chain = chain.gamma(Number(s.gamma)); break;
      case 'negate': chain = chain.negate(); break;
      case 'flip': chain = chain.flip(); break;
      case 'flop': chain = chain.flop(); break;
      default: throw new Error(`unknown step ${s.op}`);
    }
  }
  const format = $('image-format').value;
  const quality = Number($('image-quality').value);
  return chain.toFormat(format, format === 'jpeg' ? { quality } : {});
}

// ---------------------------------------------------------------- the JS peer (pica)

/** The size a resize step gives, as the package computes it for `inside`/`fill` (pica has no fit modes). */
function peerSize(w, h, s) {
  const bw = num(s.width);
  const bh = num(s.height);
  if (bw && bh) {
    if (s.fit === 'fill') return [bw, bh];
    const r = Math.min(bw / w, bh / h);
    return [Math.max(1, Math.round(w * r)), Math.max(1, Math.round(h * r))];
  }
  if (bw) return [bw, Math.max(1, Math.round((bw * h) / w))];
  return [Math.max(1, Math.round((bh * w) / h)), bh];
}

/**
 * The same job through pica where pica can do it: browser decode, pica's resize (pure-JS
 * path, Lanczos3 as ours by default), canvas encode. Returns null (with the reason) when a step
 * is outside what pica does.
 */
async function runPeer(blob) {
  const other = state.steps.filter((s) => s.op !== 'resize');
  if (other.length) return { skipped: `pica only resizes; it cannot ${[...new Set(other.map((s) => KINDS[s.op].label.toLowerCase()))].join(', ')}` };
  if (state.steps.some((s) => s.fit && !['inside', 'fill'].includes(s.fit))) return { skipped: 'pica has no cover/contain/outside fit' };
  const p = window.pica({ features: ['js'] });
  const start = performance.now();
  const bitmap = await createImageBitmap(blob);
  let canvas = Object.assign(document.createElement('canvas'), { width: bitmap.width, height: bitmap.height });
  canvas.getContext('2d').drawImage(bitmap, 0, 0);
  for (const s of state.steps) {
    const [w, h] = peerSize(canvas.width, canvas.height, s);
    const to = Object.assign(document.createElement('canvas'), { width: w, height: h });
    await p.resize(canvas, to, { filter: { lanczos3: 'lanczos3', mitchell: 'mks2013', cubic: 'hamming', linear: 'hamming', nearest: 'box' }[s.kernel] ?? 'lanczos3' });
    canvas = to;
  }
  const format = $('image-format').value;
  const out = await new Promise((ok) => canvas.toBlob(ok, `image/${format}`, Number($('image-quality').value) / 100));
  return { ms: performance.now() - start, width: canvas.width, height: canvas.height, bytes: out?.size ?? 0 };
}

// ---------------------------------------------------------------- running a job

async function run() {
  if (!state.bytes || state.running) return;
  state.running = true;
  $('image-run').disabled = true;
  $('image-error').hidden = true;
  const status = $('image-status');
  status.dataset.state = 'running';
  status.textContent = 'Running in the Wasm worker pool…';
  try {
    const start = performance.now();
    const { data, info } = await buildChain(state.bytes).toBuffer({ resolveWithObject: true });
    const wasmMs = performance.now() - start;
    if (state.url) URL.revokeObjectURL(state.url);
    state.url = URL.createObjectURL(new Blob([data], { type: `image/${info.format}` }));
    const img = $('image-result');
    await new Promise((ok, fail) => {
      img.onload = ok;
      img.onerror = () => fail(new Error('the browser cannot show the result'));
      img.src = state.url;
    });
    img.hidden = false;
    $('image-out-size').textContent = `${info.width}×${info.height}`;
    $('image-out-size').dataset.width = info.width;
    $('image-out-size').dataset.height = info.height;
    $('image-out-bytes').textContent = `${info.format}, ${data.length.toLocaleString('en')} bytes`;
    $('image-download').href = state.url;
    $('image-download').download = `${(state.file?.name ?? 'image').replace(/\.[^.]*$/, '')}.${info.format}`;
    $('image-time-wasm').textContent = `${wasmMs.toFixed(1)} ms`;
    $('image-time-wasm').dataset.ms = wasmMs.toFixed(3);
    $('image-result-box').hidden = false;

    status.textContent = 'Running the same job with pica (JavaScript)…';
    const peer = await runPeer(new Blob([state.bytes]));
    const peerEl = $('image-time-peer');
    const speedEl = $('image-speedup');
    if (peer.skipped) {
      peerEl.textContent = `not compared: ${peer.skipped}`;
      delete peerEl.dataset.ms;
      speedEl.textContent = '–';
      delete speedEl.dataset.ratio;
    } else {
      peerEl.textContent = `${peer.ms.toFixed(1)} ms (${peer.width}×${peer.height})`;
      peerEl.dataset.ms = peer.ms.toFixed(3);
      const ratio = peer.ms / wasmMs;
      speedEl.textContent = `${ratio.toFixed(2)}× ${ratio >= 1 ? 'faster' : 'slower'} in Wasm`;
      speedEl.dataset.ratio = ratio.toFixed(3);
    }
    const stats = pool?.stats();
    $('image-pool').textContent = stats ? `${stats.workers} worker(s), ${stats.jobs} job(s), ${stats.recycled} recycled` : 'inline';
    status.dataset.state = 'done';
    status.textContent = `Done (${build} build).`;
  } catch (err) {
    status.dataset.state = 'error';
    status.textContent = 'The job failed.';
    showError(err);
  } finally {
    state.running = false;
    $('image-run').disabled = !state.bytes;
  }
}

async function choose(file) {
  if (!file) return;
  state.file = file;
  state.bytes = new Uint8Array(await file.arrayBuffer());
  $('image-error').hidden = true;
  try {
    const meta = await image(state.bytes).metadata();
    $('image-in-info').textContent = `${file.name}: ${meta.format}, ${meta.autoOrient.width}×${meta.autoOrient.height}, ${state.bytes.length.toLocaleString('en')} bytes`;
    $('image-in-info').dataset.width = meta.autoOrient.width;
    $('image-in-info').dataset.height = meta.autoOrient.height;
    $('image-run').disabled = false;
    $('image-status').dataset.state = 'ready';
    $('image-status').textContent = 'Compose the steps, then run.';
  } catch (err) {
    $('image-in-info').textContent = file.name;
    $('image-run').disabled = true;
    showError(err);
  }
}

function setup() {
  const add = $('image-add-kind');
  for (const [op, kind] of Object.entries(KINDS)) add.append(new Option(kind.label, op));
  $('image-add').addEventListener('click', () => addStep(add.value));
  $('image-input').addEventListener('change', (e) => choose(e.target.files[0]));
  const zone = $('image-dropzone');
  zone.addEventListener('dragover', (e) => (e.preventDefault(), zone.classList.add('over')));
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    choose(e.dataTransfer.files[0]);
  });
  $('image-format').addEventListener('change', () => {
    $('image-quality').disabled = $('image-format').value !== 'jpeg';
  });
  $('image-run').addEventListener('click', run);
  addStep('resize');
  $('image-panel').dataset.ready = 'true';
}

setup();
