/** @file The ceiling on wasm memory shared by every wasm tape (wasm32: at most 4 GiB). */
import { core } from './wasm/instance.js';
import { ArgumentError } from './errors.js';

const PAGE = 65536;

/** Lowers (or restores) the most wasm memory the tapes may use, in bytes; default 4 GiB.
 *  Memory already in use stays; the next growth past the ceiling throws OutOfMemoryError. */
export function setMemoryLimit(bytes: number): void {
  if (!(bytes > 0)) throw new ArgumentError(`setMemoryLimit takes a positive number of bytes, got ${bytes}`);
  core.setPageLimit(Math.min(65536, Math.ceil(bytes / PAGE)));
}

/** The current ceiling in bytes. */
export function memoryLimit(): number {
  return core.getPageLimit() * PAGE;
}
