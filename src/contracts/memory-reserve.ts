/**
 * Headroom for the binding layer when a contract has filled the instance's memory.
 *
 * QuickJS itself survives a failed allocation (it throws "out of memory"). The
 * quickjs-emscripten binding does not: several of its host-side helpers (copying
 * a string into the heap, boxing a returned value) use the result of `malloc`
 * without checking it and write through a null pointer, which corrupts the
 * instance. So before the host asks the binding for memory, it checks that the
 * allocation fits (`ensure`), and keeps a reserve block that it frees the
 * moment memory runs out, so that winding the call down (error objects,
 * handles) still has room. Whether a probe fits is a function of the
 * instance's allocation history only, like everything else in an instance.
 */
import { assert } from '../errors.ts';

/** The C heap of a quickjs-emscripten module instance. */
export interface CHeap {
  _malloc(bytes: number): number;
  _free(pointer: number): void;
}

/** The emscripten module behind a `QuickJSWASMModule` (a field the library does not type as public). */
export function cHeapOf(engine: object): CHeap {
  const module = (engine as { module?: Partial<CHeap> }).module;
  assert(
    typeof module?._malloc === 'function' && typeof module._free === 'function',
    'quickjs-emscripten exposes its emscripten module with _malloc and _free',
  );
  return module as CHeap;
}

export class MemoryReserve {
  private block = 0;

  constructor(
    private readonly heap: CHeap,
    readonly bytes: number,
  ) {}

  /** Takes the reserve back (after a call); false if the heap has no room for it any more. */
  acquire(): boolean {
    if (this.block === 0) this.block = this.heap._malloc(this.bytes);
    return this.block !== 0;
  }

  /** Hands the reserve to whatever must still run. */
  release(): void {
    if (this.block !== 0) this.heap._free(this.block);
    this.block = 0;
  }

  get held(): boolean {
    return this.block !== 0;
  }

  /** True if `bytes` can be allocated now (probed: allocated and freed at once). */
  fits(bytes: number): boolean {
    const pointer = this.heap._malloc(bytes);
    if (pointer === 0) return false;
    this.heap._free(pointer);
    return true;
  }
}
