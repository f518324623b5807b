// node --expose-gc --import tsx packages/codec/bench/heap-cost.ts
// Measures what V8 spends on each kind of value a decoder builds, beside the HEAP_COST the codecs price messages
// with: 200,000 of each, kept alive, process.memoryUsage() before and after gc(). Prints one line per kind.
import { HEAP_COST, mapCost } from '../src/heap-cost.js';
import { TaggedValue } from '../src/tagged-value.js';

const COUNT = 200_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');
const input = new Uint8Array(4096);

function used(): number {
  gc?.();
  gc?.();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

/** Heap bytes per value `make` builds, its slot in the array that keeps them not counted. */
function measure(make: (i: number) => unknown): number {
  const kept = new Array<unknown>(COUNT).fill(0);
  const before = used();
  for (let i = 0; i < COUNT; i++) kept[i] = make(i);
  const after = used();
  return kept.length > 0 ? (after - before) / COUNT : 0;
}

const keys = Array.from({ length: 9 }, (_, i) => `k${i}`);
const rows: Array<[string, number, number]> = [
  ['object (empty)', measure(() => ({})), HEAP_COST.object],
  [
    'property (8 keys, per key)',
    (measure(() => Object.fromEntries(keys.slice(0, 8).map((k) => [k, 0]))) - 56) / 8,
    HEAP_COST.property + HEAP_COST.slot,
  ],
  ['new key (1-key objects, each its own)', measure((i) => ({ [`key${i}`]: 0 })) - 56, HEAP_COST.newKey],
  ['Map (empty)', measure(() => new Map()), mapCost(0)],
  ['Map (9 entries)', measure(() => new Map(keys.map((k) => [k, 0]))), mapCost(9)],
  ['array (1 element)', measure(() => new Array(1)), HEAP_COST.array + HEAP_COST.slot],
  ['string (8 latin-1 characters)', measure((i) => `${i}`.padStart(8, 'x')), HEAP_COST.string + 8],
  ['number (HeapNumber)', measure((i) => i + 0.5), HEAP_COST.number],
  ['BigInt (64 bits)', measure((i) => 2n ** 63n + BigInt(i)), HEAP_COST.bigint],
  ['Uint8Array view', measure((i) => input.subarray(i % 1000, (i % 1000) + 8)), HEAP_COST.view],
  ['Uint8Array copy (8 bytes)', measure((i) => input.slice(i % 1000, (i % 1000) + 8)), HEAP_COST.buffer + 8],
  ['Date', measure((i) => new Date(i)), HEAP_COST.box],
  ['TaggedValue', measure(() => new TaggedValue('A', [])), HEAP_COST.box + HEAP_COST.array],
];
for (const [kind, measured, priced] of rows)
  console.log(`${kind.padEnd(40)} measured ${measured.toFixed(1).padStart(7)}   priced ${String(priced).padStart(4)}`);
