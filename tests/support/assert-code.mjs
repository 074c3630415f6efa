// Assertions shared by the API tests (npm package, component through jco).
import assert from 'node:assert/strict';

/** Asserts that `fn` throws (or rejects with) an error carrying `.code === code`. */
export async function rejectsWithCode(fn, code, what = '') {
  let error;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  assert.ok(error, `${what}: expected an error with code ${code}, nothing was thrown`);
  assert.ok(error instanceof Error, `${what}: threw a non-Error ${String(error)}`);
  assert.equal(error.code, code, `${what}: code ${error.code} (${error.message}), expected ${code}`);
  assert.ok(error.message.length > 10, `${what}: the message should say what to do`);
}
