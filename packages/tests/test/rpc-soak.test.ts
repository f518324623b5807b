// The soak (pnpm soak runs it ten minutes), here for a few seconds: every attack at once against a server with its
// defaults, which answers every call on a live connection once, stays under 256 MiB and is left holding nothing.
import { soak } from '../src/soak.js';

it('survives every attack at once with its defaults, under 256 MiB, and is left holding nothing', async () => {
  const report = await soak(8);
  console.log(JSON.stringify(report));
  expect(report.peakRssMiB).toBeLessThan(256);
  expect(report).toMatchObject({ lost: 0, left: { connections: 0, callsInFlight: 0, bufferedBytes: 0, objects: 0 } });
  expect(report.answered).toBeGreaterThan(0);
  expect(report.errors).toMatchObject({
    MSG_FRAME_TOO_LARGE: expect.any(Number),
    RPC_PROTOCOL_ERRORS: expect.any(Number),
  });
}, 60_000);
