/**
 * A peer's bounded FIFO of encoded frames waiting for the socket.
 *
 * Limits count frames and bytes. `push` refuses a frame that would cross either
 * limit (tail drop: what is queued stays queued, in order), except that an
 * empty queue takes any one frame. Control frames
 * (handshake, ping, goodbye) use `pushControl`, which ignores the limits: they
 * are tiny and bounded in number by the protocol, and keepalive must get through
 * a full queue.
 */
import { assert } from '../errors.ts';

export class SendQueue {
  private slots: (Uint8Array | undefined)[];
  private head = 0;
  private count = 0;
  private byteCount = 0;

  constructor(
    readonly maxFrames: number,
    readonly maxBytes: number,
  ) {
    assert(Number.isSafeInteger(maxFrames) && maxFrames > 0, 'maxFrames must be a positive integer');
    assert(Number.isSafeInteger(maxBytes) && maxBytes > 0, 'maxBytes must be a positive integer');
    this.slots = new Array(Math.min(maxFrames, 64) + 1);
  }

  get length(): number {
    return this.count;
  }

  get bytes(): number {
    return this.byteCount;
  }

  /**
   * Whether `push` would accept a frame of `frameBytes` now. An empty queue
   * accepts any frame, so a frame larger than `maxBytes` is not refused forever
   * (it waits for the queue to drain instead): memory is bounded by
   * `maxBytes` plus one frame.
   */
  canAccept(frameBytes: number): boolean {
    if (this.count >= this.maxFrames) return false;
    return this.count === 0 || this.byteCount + frameBytes <= this.maxBytes;
  }

  /** False (and nothing queued) when the frame would exceed the frame or byte limit. */
  push(frame: Uint8Array): boolean {
    if (!this.canAccept(frame.length)) return false;
    this.append(frame);
    return true;
  }

  /** Queues regardless of limits (control frames only). */
  pushControl(frame: Uint8Array): void {
    this.append(frame);
  }

  shift(): Uint8Array | undefined {
    if (this.count === 0) return undefined;
    const frame = this.slots[this.head]!;
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) % this.slots.length;
    this.count--;
    this.byteCount -= frame.length;
    return frame;
  }

  clear(): void {
    this.slots = new Array(this.slots.length);
    this.head = 0;
    this.count = 0;
    this.byteCount = 0;
  }

  private append(frame: Uint8Array): void {
    if (this.count === this.slots.length) this.grow();
    this.slots[(this.head + this.count) % this.slots.length] = frame;
    this.count++;
    this.byteCount += frame.length;
  }

  private grow(): void {
    const next: (Uint8Array | undefined)[] = new Array(this.slots.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = this.slots[(this.head + i) % this.slots.length];
    this.slots = next;
    this.head = 0;
  }
}
