import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startChildServer, type ChildServer } from './child-server.js';

const run = promisify(execFile);
const fixtures = join(__dirname, '..', 'perl', 'rpc');

/** A Perl Event::RPC::Server exporting the contract classes; it stops when `close()` ends its stdin. */
export function startPerlServer(args: string[] = []): Promise<ChildServer> {
  return startChildServer('perl', [join(fixtures, 'server.pl'), '--port', '0', ...args], fixtures);
}

/** Runs the Perl Event::RPC::Client scenario against `port` and returns its report. */
export async function runPerlClient(port: number, args: string[] = []): Promise<Record<string, unknown>> {
  const { stdout } = await run('perl', [join(fixtures, 'client.pl'), '--port', String(port), ...args], {
    cwd: fixtures,
    timeout: 60_000,
  });
  return JSON.parse(stdout) as Record<string, unknown>;
}

/** The Perl client connecting with TLS and/or a login (secure-client.pl), making one object and one call. */
export async function runPerlSecureClient(
  port: number,
  args: string[] = [],
): Promise<{ data?: unknown; format?: string; error?: string }> {
  const { stdout } = await run('perl', [join(fixtures, 'secure-client.pl'), '--port', String(port), ...args], {
    cwd: fixtures,
    timeout: 60_000,
  });
  return JSON.parse(stdout) as { data?: unknown; format?: string; error?: string };
}

/** The Perl client's calls per second against `port`. */
export async function runPerlBench(
  port: number,
  seconds: number,
): Promise<{ calls: number; callsPerSec: number; seconds: number }> {
  const { stdout } = await run(
    'perl',
    [join(fixtures, 'bench-client.pl'), '--port', String(port), '--seconds', String(seconds)],
    { cwd: fixtures, timeout: (seconds + 30) * 1000 },
  );
  return JSON.parse(stdout) as { calls: number; callsPerSec: number; seconds: number };
}

/**
 * What the Perl client reports against the Perl server (recorded from a Perl-to-Perl run); any server must give the
 * same.
 */
export function expectedPerlReport(
  format: 'JSON' | 'CBOR' | 'Sereal',
  maxPacketSize?: number,
): Record<string, unknown> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const report = structuredClone(require(join(fixtures, 'expected-client.json'))) as Record<
    string,
    Record<string, unknown>
  >;
  (report.negotiation as Record<string, unknown>).format = `Event::RPC::Message::${format}`;
  if (maxPacketSize !== undefined) {
    report.big_string = {
      get_data_after: 'main',
      limit: maxPacketSize,
      over_limit: {
        caught: `Response packed exceeds limit of ${maxPacketSize} bytes\n -- called via Event::RPC::Client`,
        requested: maxPacketSize + 1000,
      },
      under_limit: { all_x: true, length: maxPacketSize - 1000, requested: maxPacketSize - 1000 },
    };
  }
  return report;
}
