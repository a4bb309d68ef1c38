/** @file The core's linear memory, made here and imported by the module: shared where the
 *  platform allows it, so that growing it never detaches an ArrayBuffer. V8 slows every
 *  typed-array loop of the whole process once any buffer has been detached (DESIGN, "Facts
 *  measured": a user's Rosenbrock loop went 0.103 → 0.165 ms), and `memory.grow` on a plain
 *  memory detaches; on a shared memory it detaches nothing.
 *
 *  The module is built to import a shared memory (asconfig.json). Where shared memory is not
 *  available (a browser page that is not cross-origin isolated), the one flag byte that says
 *  "shared" in the module's memory import is cleared, and a plain memory is reserved up front
 *  (RESERVED_PAGES) so that most programs never grow it. */

/** wasm32's ceiling, in 64 KiB pages. */
const MAX_PAGES = 65536;
/** A shared memory starts small: growing it costs nothing but the pages. */
const SHARED_INITIAL_PAGES = 16;
/** A plain memory is reserved up front (64 MiB; untouched pages cost no physical memory). */
const RESERVED_PAGES = 1024;

export interface CoreMemory {
  memory: WebAssembly.Memory;
  /** The module bytes, with the memory import made plain where the memory is not shared. */
  bytes: Uint8Array;
  shared: boolean;
}

/** A shared memory where the platform has one, else a plain one and the bytes to match. */
export function coreMemory(bytes: Uint8Array): CoreMemory {
  if (typeof SharedArrayBuffer === 'function') {
    try {
      return { memory: new WebAssembly.Memory({ initial: SHARED_INITIAL_PAGES, maximum: MAX_PAGES, shared: true }), bytes, shared: true };
    } catch {
      // Not cross-origin isolated, or no threads: a plain memory below.
    }
  }
  return { memory: new WebAssembly.Memory({ initial: RESERVED_PAGES, maximum: MAX_PAGES }), bytes: withPlainMemoryImport(bytes), shared: false };
}

/** A copy of the module whose imported memory is not shared (limits flag 0x03 → 0x01). */
export function withPlainMemoryImport(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes); // a copy (Buffer.slice would share the bytes)
  let at = 8; // magic and version
  const leb = (): number => {
    let result = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = out[at++];
      result |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80);
    return result >>> 0;
  };
  const skipName = () => {
    const length = leb();
    at += length;
  };
  while (at < out.length) {
    const id = out[at++];
    const size = leb();
    const end = at + size;
    if (id === 2) {
      // The import section: module name, field name, kind, then the kind's description.
      for (let count = leb(); count > 0; count--) {
        skipName();
        skipName();
        const kind = out[at++];
        if (kind === 0) leb(); // function: a type index
        else if (kind === 1) {
          at++; // table: element type, then limits
          const flags = out[at++];
          leb();
          if (flags & 1) leb();
        } else if (kind === 2) {
          if (out[at] === 0x03) out[at] = 0x01; // memory: limits flags (shared, has maximum)
          return out;
        } else at += 2; // global: value type, mutability
      }
    }
    at = end;
  }
  return out;
}
