/**
 * Errors are values: a stable machine code, a message a person can act on, and the HTTP
 * status the registry answers with. The CLI prints `message`; `--debug` adds the stack.
 */
export class UniError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(code: string, message: string, status = 400) {
    super(message);
    this.name = 'UniError';
    this.code = code;
    this.status = status;
  }

  toJSON(): { error: { code: string; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

export function isUniError(e: unknown): e is UniError {
  return e instanceof UniError;
}
