import { createPrivateKey } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { removeWhenDone } from './tmp.js';

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
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  return { ca: ca.cert, cert: server.cert, key: server.private, otherCa: other.cert };
}

/** A CA and a server certificate made fresh for this test run (once per process). */
export function testPki(): Promise<TestPki> {
  pki ??= makePki();
  return pki;
}

export interface TestPkiFiles {
  readonly caFile: string;
  readonly otherCaFile: string;
  /** A directory holding only the trusted CA's certificate (an OpenSSL CA path). */
  readonly caDir: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** The same key, encrypted with `passphrase`. */
  readonly encryptedKeyFile: string;
  readonly passphrase: string;
}

let files: Promise<TestPkiFiles> | undefined;

async function writePki(): Promise<TestPkiFiles> {
  const pki = await testPki();
  const dir = mkdtempSync(join(tmpdir(), 'rpc-pki-'));
  removeWhenDone(dir, () => (files = undefined));
  const caDir = join(dir, 'ca');
  mkdirSync(caDir);
  const passphrase = 'topsecret';
  const encrypted = createPrivateKey(pki.key).export({
    format: 'pem',
    type: 'pkcs8',
    cipher: 'aes-256-cbc',
    passphrase,
  }) as string;
  const out = {
    caFile: join(dir, 'ca.pem'),
    otherCaFile: join(dir, 'other-ca.pem'),
    caDir,
    certFile: join(dir, 'server.crt'),
    keyFile: join(dir, 'server.key'),
    encryptedKeyFile: join(dir, 'server-encrypted.key'),
    passphrase,
  };
  writeFileSync(out.caFile, pki.ca);
  writeFileSync(join(caDir, 'test-ca.pem'), pki.ca);
  writeFileSync(out.otherCaFile, pki.otherCa);
  writeFileSync(out.certFile, pki.cert);
  writeFileSync(out.keyFile, pki.key);
  writeFileSync(out.encryptedKeyFile, encrypted);
  return out;
}

/** The test PKI as files in a private temporary folder, for peers that read files (the Perl ones, ssl*File options). */
export function testPkiFiles(): Promise<TestPkiFiles> {
  files ??= writePki();
  return files;
}
