import { type CodecOptions, DEFAULT_MAX_HEAP_BYTES } from './codec.js';
import { codecError, formatError } from './errors.js';

/**
 * A format's pre-scan: the heap its decoder would spend on `bytes`, read from their structure without building
 * anything, returning as soon as the sum passes `limit`.
 */
export type HeapScan = (bytes: Uint8Array, limit: number) => number;

/** `bytes` for messages: exact below 1 MiB, in MiB above. */
function size(bytes: number): string {
  return bytes < 2 ** 20 ? `${bytes} bytes` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/**
 * CODEC_TOO_LARGE: decoding a message in `format` would take at least `heapBytes` of heap (the estimate, or what was
 * counted when it passed the limit), more than `maxHeapBytes`; `limit` names the limit in the message.
 */
export function tooLarge(
  format: string,
  heapBytes: number,
  maxHeapBytes: number,
  options?: { readonly offset?: number; readonly limit?: string; readonly cause?: unknown },
) {
  const offset = options?.offset;
  return codecError(
    'CODEC_TOO_LARGE',
    `${format}: the decoded message would take more than ${options?.limit ?? 'maxHeapBytes'} ` +
      `(${size(maxHeapBytes)}): at least ${heapBytes} bytes${offset === undefined ? '' : ` (at byte ${offset})`}`,
    { cause: options?.cause, data: { format, offset, heapBytes, maxHeapBytes } },
  );
}

/** The maxHeapBytes of `options`, checked: a positive number of bytes (Infinity turns the check off). */
export function maxHeapBytesOf(options: CodecOptions, format: string): number {
  const limit = options.maxHeapBytes ?? DEFAULT_MAX_HEAP_BYTES;
  if (typeof limit !== 'number' || !(limit > 0))
    throw formatError('CODEC_INVALID_OPTION', format, `maxHeapBytes must be a positive number, not ${String(limit)}`);
  return limit;
}

/**
 * Refuses, before anything is built, a message whose decoded value would take more than `maxHeapBytes`. A message
 * whose worst case (`worstPerByte` heap bytes for each of its bytes) fits cannot be refused and is not scanned, so
 * small messages pay nothing.
 */
export function checkHeap(
  format: string,
  bytes: Uint8Array,
  maxHeapBytes: number,
  worstPerByte: number,
  scan: HeapScan,
): void {
  if (bytes.length * worstPerByte <= maxHeapBytes) return;
  const estimate = scan(bytes, maxHeapBytes);
  if (estimate > maxHeapBytes) throw tooLarge(format, estimate, maxHeapBytes);
}

/**
 * Counts the heap a decoder spends as it builds a value, for what no pre-scan can see (shared references expanded
 * into copies) and for a reader that prices each value just before building it (Sereal's).
 */
export class HeapMeter {
  /** Bytes still allowed. */
  left: number;

  constructor(
    /** The wire name, for errors. */
    readonly format: string,
    /** The most bytes the decoded value may take (maxHeapBytes). */
    readonly limit: number,
  ) {
    this.left = limit;
  }

  /** Spends `bytes`, refusing once the total passes the limit; `offset` is where in the input, if known. */
  charge(bytes: number, offset?: number): void {
    if ((this.left -= bytes) < 0) throw tooLarge(this.format, this.limit - this.left, this.limit, { offset });
  }
}
