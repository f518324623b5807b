// pnpm soak: every attack on the Event::RPC server at once, for SOAK_SECONDS (default 600), against a server with
// its defaults in its own process. Prints one JSON line; exits 1 if the server's peak RSS reached 256 MiB, a call on
// a live connection went unanswered or was answered twice, or anything was left once every client had gone.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { soak } from '../src/soak.js';

const seconds = Number(process.env.SOAK_SECONDS ?? 600);
// SOAK_ATTACKS=churn,slowReaders,oversize,garbage,slowloris,mapBombs picks some (default: all).
const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const report = await soak(seconds, process.env.SOAK_ATTACKS?.split(','), fixtures);
console.log(JSON.stringify(report));
const { left } = report;
const clean = left.connections + left.callsInFlight + left.bufferedBytes + left.objects === 0;
if (report.peakRssMiB >= 256 || report.lost > 0 || !clean) process.exitCode = 1;
