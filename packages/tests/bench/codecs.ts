// pnpm bench:codec [--rounds N] [--seconds S]
// Encode + decode round trips per second through jsonCodec, cborCodec,
// msgpackCodec and serealCodec, against plain JSON.stringify + JSON.parse (with UTF-8 bytes,
// as a codec must produce) in the same run: a small RPC request and a record
// set of about 1 MiB of JSON. Prints a table, the ratios, and a JSON line.
import { parseArgs, isDeepStrictEqual } from 'node:util';
import { cborCodec } from '@rpc/codec-cbor';
import { jsonCodec } from '@rpc/codec-json';
import { msgpackCodec } from '@rpc/codec-msgpack';
import { serealCodec } from '@rpc/codec-sereal';

interface Contender {
  readonly name: string;
  encode(value: unknown): Uint8Array;
  decode(bytes: Uint8Array): unknown;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();
const baseline: Contender = {
  name: 'baseline',
  encode: (value) => utf8.encode(JSON.stringify(value)),
  decode: (bytes) => JSON.parse(fromUtf8.decode(bytes)) as unknown,
};
const contenders: Contender[] = [
  baseline,
  { ...jsonCodec(), name: 'json' },
  { ...cborCodec(), name: 'cbor' },
  { ...msgpackCodec(), name: 'msgpack' },
  { ...serealCodec(), name: 'sereal' },
];
const labels: Record<string, string> = {
  baseline: 'JSON.stringify+parse',
  json: 'jsonCodec',
  cbor: 'cborCodec',
  msgpack: 'msgpackCodec',
  sereal: 'serealCodec',
};

const small = { cmd: 'exec', oid: 'My::Class=HASH(0x55d1c0ffee)', method: 'get_data', params: ['key', 42, true] };

/** Records until their JSON reaches 1 MiB; deterministic, so every run measures the same bytes. */
function recordSet(): object[] {
  const records: object[] = [];
  for (let id = 0, size = 2; size < 1 << 20; id++) {
    const record = {
      id,
      name: `User Number ${id}`,
      email: `user.${id}@example.org`,
      score: ((id * 0.6180339887498949) % 1) * 100, // full-precision doubles, not round numbers
      active: id % 3 !== 0,
      tags: [`group-${id % 17}`, id % 2 === 0 ? 'even' : 'odd', `tier${id % 5}`],
    };
    records.push(record);
    size += JSON.stringify(record).length + 1;
  }
  return records;
}
const large = recordSet();
const cases = { small: { value: small, batch: 64 }, large: { value: large, batch: 1 } } as const;
type Case = keyof typeof cases;

let sink = 0; // consumed at the end, so no round trip is dead code

/** Round trips per second of `value` through `contender` for about `seconds`; the clock is read once per batch. */
function measure(contender: Contender, value: unknown, batch: number, seconds: number): number {
  const budget = BigInt(Math.round(seconds * 1e9));
  const start = process.hrtime.bigint();
  let ops = 0;
  let elapsed = 0n;
  do {
    for (let i = 0; i < batch; i++) {
      const bytes = contender.encode(value);
      sink += bytes.length + (contender.decode(bytes) === null ? 1 : 0);
    }
    ops += batch;
    elapsed = process.hrtime.bigint() - start;
  } while (elapsed < budget);
  return ops / (Number(elapsed) / 1e9);
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const round = (value: number, digits: number): number => Number(value.toFixed(digits));

function main(): void {
  const { values } = parseArgs({
    options: { rounds: { type: 'string', default: '5' }, seconds: { type: 'string', default: '0.5' } },
  });
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds);
  if (!(Number.isInteger(rounds) && rounds > 0 && seconds > 0))
    throw new Error('--rounds must be a whole number > 0 and --seconds > 0');

  // A benchmark of a codec that loses data would be meaningless: check each once, which also warms up the JIT.
  for (const contender of contenders) {
    for (const { value } of Object.values(cases)) {
      if (!isDeepStrictEqual(contender.decode(contender.encode(value)), value))
        throw new Error(`${contender.name} does not round-trip the test data`);
    }
    for (const { value, batch } of Object.values(cases)) measure(contender, value, batch, Math.min(seconds, 0.2));
  }

  const rates = new Map<string, Record<Case, number[]>>(contenders.map((c) => [c.name, { small: [], large: [] }]));
  for (let r = 0; r < rounds; r++) {
    for (const name of Object.keys(cases) as Case[]) {
      // Rotate who goes first, so that drift (heat, GC debt) hits every contender alike.
      for (let k = 0; k < contenders.length; k++) {
        const contender = contenders[(r + k) % contenders.length] as Contender;
        rates.get(contender.name)?.[name].push(measure(contender, cases[name].value, cases[name].batch, seconds));
      }
    }
    process.stderr.write(`round ${r + 1}/${rounds} done\n`);
  }

  const largeJsonBytes = JSON.stringify(large).length;
  const largeJsonMB = largeJsonBytes / 1e6; // MB/s counts this payload for everyone, so the column compares like with like
  const results = Object.fromEntries(
    contenders.map((c) => {
      const rate = rates.get(c.name) as Record<Case, number[]>;
      const figures = {
        smallOpsPerSec: Math.round(median(rate.small)),
        largeOpsPerSec: round(median(rate.large), 1),
        largeMBPerSec: round(median(rate.large) * largeJsonMB, 1),
        smallBytes: c.encode(small).length,
        largeBytes: c.encode(large).length,
      };
      return [c.name, figures];
    }),
  );
  const base = results.baseline as (typeof results)[string];
  const ratios = Object.fromEntries(
    contenders
      .filter((c) => c !== baseline)
      .map((c) => {
        const r = results[c.name] as (typeof results)[string];
        return [
          c.name,
          {
            small: round(r.smallOpsPerSec / base.smallOpsPerSec, 3),
            large: round(r.largeOpsPerSec / base.largeOpsPerSec, 3),
          },
        ];
      }),
  );

  console.log(
    `codec round trips (encode + decode), median of ${rounds} rounds of ${seconds}s; small = ${base.smallBytes}-byte request, large = ${large.length} records, ${largeJsonMB.toFixed(2)} MB of JSON (MB/s counts those MB for every codec)`,
  );
  const header = ['contender', 'small ops/s', 'vs base', 'large ops/s', 'large MB/s', 'vs base', 'small B', 'large B'];
  const widths = [22, 12, 8, 12, 11, 8, 8, 10];
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number))).join(' ');
  console.log(line(header));
  for (const c of contenders) {
    const r = results[c.name] as (typeof results)[string];
    const ratio = ratios[c.name];
    console.log(
      line([
        labels[c.name] ?? c.name,
        String(r.smallOpsPerSec),
        `${(ratio?.small ?? 1).toFixed(2)}x`,
        r.largeOpsPerSec.toFixed(1),
        r.largeMBPerSec.toFixed(1),
        `${(ratio?.large ?? 1).toFixed(2)}x`,
        String(r.smallBytes),
        String(r.largeBytes),
      ]),
    );
  }
  if (sink === 0) console.log('(nothing was measured)');
  console.log(
    JSON.stringify({ bench: 'codec', rounds, seconds, records: large.length, largeJsonBytes, results, ratios }),
  );
}

main();
