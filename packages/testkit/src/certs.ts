import { generate } from 'selfsigned';

export interface TestPki {
  /** PEM of the CA that signed `cert`. */
  readonly ca: string;
  /** Server certificate for localhost and 127.0.0.1, signed by `ca`. */
  readonly cert: string;
  readonly key: string;
  /** A second CA that signed nothing here: trusting it must fail verification. */
  readonly otherCa: string;
}

let pki: Promise<TestPki> | undefined;

async function makeCa(name: string): Promise<{ cert: string; key: string }> {
  const pems = await generate([{ name: 'commonName', value: name }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

async function makePki(): Promise<TestPki> {
  const ca = await makeCa('@rpc test CA');
  const other = await makeCa('@rpc untrusted CA');
  const server = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ca: { key: ca.key, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
    ],
  });
  return { ca: ca.cert, cert: server.cert, key: server.private, otherCa: other.cert };
}

/** A CA and a server certificate made fresh for this test run (once per process). */
export function testPki(): Promise<TestPki> {
  pki ??= makePki();
  return pki;
}
