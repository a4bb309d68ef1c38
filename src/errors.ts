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

/** WebAssembly memory (4 GiB for wasm32) or a tape's own byte limit is exhausted. */
export class OutOfMemoryError extends WengertError {}
