/** @file Error classes: each message names the problem and what to do about it. */

/** Base class of every error wengert throws on purpose. */
export class WengertError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Handles from two different tapes met in one op, or a handle met the wrong tape. */
export class TapeMismatchError extends WengertError {}

/** A handle was used after its tape was disposed or reset. */
export class StaleHandleError extends WengertError {}

/** Wrong argument count, type, length or return value. */
export class ArgumentError extends WengertError {}

/** Operands whose shapes do not fit the op (the message names both shapes). */
export class ShapeError extends WengertError {}

/** WebAssembly memory (4 GiB for wasm32) or a tape's own byte limit is exhausted. */
export class OutOfMemoryError extends WengertError {}

/** A traced value was read inside compile(): its branch would be frozen at trace time. */
export class TracingError extends WengertError {}

/** A serialized tape is malformed, truncated, of another version, or inconsistent. */
export class TapeFormatError extends WengertError {}

export function tracingReadError(): TracingError {
  return new TracingError(
    'a value was read while compile() traced the function: a JS `if` or `Math.*` on a traced value ' +
      'would be frozen at trace time and silently wrong on replay. Use the ops instead: comparisons ' +
      '(lt, gt, …) and where(cond, a, b) are recorded, so each replay follows its own inputs',
  );
}

export function staleTapeError(): StaleHandleError {
  return new StaleHandleError(
    'this tape was disposed or reset: handles recorded before reset()/dispose() are no longer valid; ' +
      'record again on a live tape (or create a new Tape)',
  );
}

/** Two handles from different recordings met: stale if either recording is over, else a mismatch. */
export function crossTapeError(name: string, first: { live: boolean }, second: { live: boolean }): WengertError {
  if (!first.live || !second.live) {
    return new StaleHandleError(`${name} got a handle recorded before a reset() or on a disposed tape: record it again on the live tape`);
  }
  return new TapeMismatchError(
    `${name} got handles from two different tapes: record the whole expression on one tape, ` +
      'or pass values between tapes as numbers (handle.value)',
  );
}

/** An objective handed to an optimizer returned a non-finite value or did not write its gradient. */
export class ObjectiveError extends WengertError {}
