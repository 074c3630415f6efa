// The example component's code (componentize-js). Digests come from the imported
// nearnative:kernels/hash interface: after composition that is the Rust library component,
// so this JavaScript only formats lines.
import { digest } from 'nearnative:kernels/hash@0.1.0';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function toHex(bytes) {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]];
  return out;
}

// coreutils' escaping (as crates/hash/src/sums.rs does it): a name with a backslash, newline
// or carriage return has those escaped and the whole line is marked with a leading backslash,
// so one file is always one line.
function line(hex, name) {
  if (!/[\\\n\r]/.test(name)) return `${hex}  ${name}\n`;
  const escaped = name.replace(/[\\\n\r]/g, (c) => ({ '\\': '\\\\', '\n': '\\n', '\r': '\\r' })[c]);
  return `\\${hex}  ${escaped}\n`;
}

// An `err` of the imported `digest` arrives as a thrown error whose `payload` is the
// nearnative error variant; letting it propagate returns that same variant as our `err`.
export function manifest(algorithm, files) {
  let out = '';
  for (const [name, data] of files) out += line(toHex(digest(algorithm, data)), name);
  return out;
}
