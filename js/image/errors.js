/** Errors with the stable codes shared by every nearnative host. */
export class NearnativeError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'NearnativeError';
    this.code = code;
  }
}

export const unsupported = (message) => new NearnativeError('unsupported', message);
export const invalid = (message) => new NearnativeError('invalid_input', message);
