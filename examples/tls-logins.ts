// A server that speaks TLS and asks for a login, as Event::RPC's ssl and auth options do, and two clients: one that
// knows the password and one that does not. @rpc clients log in by SCRAM-SHA-256, so no password crosses the wire;
// Perl clients send Event::RPC's token, which the same password table checks.
//
// Run: npx tsx tls-logins.ts (it makes a throwaway certificate for localhost with the selfsigned package)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crypt } from '@rpc/auth';
import { Client, type RpcError } from '@rpc/client';
import { Server } from '@rpc/server';
import { generate } from 'selfsigned';

class Vault {
  secret(): string {
    return `kept for ${Server.instance?.activeConnection?.authUser}`;
  }
}

// A certificate for localhost, in files as a deployment has them (use your own in production).
const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
  keyType: 'ec',
  algorithm: 'sha256',
  extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
});
const dir = mkdtempSync(join(tmpdir(), 'tls-logins-'));
const [keyFile, certFile] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
writeFileSync(keyFile, pems.private);
writeFileSync(certFile, pems.cert);

try {
  await using server = new Server({
    host: '127.0.0.1',
    port: 0,
    ssl: true,
    sslKeyFile: keyFile,
    sslCertFile: certFile,
    authRequired: true,
    authPasswdHref: { fred: crypt('fred', 's3cret') }, // as Event::RPC stores passwords
    classes: { Vault: { impl: Vault, methods: { new: '_constructor', secret: 1 } } },
  });
  await server.start();

  const tls = { host: '127.0.0.1', port: server.port, ssl: true, sslCaFile: certFile }; // trust this certificate
  // authPass is the token Event::RPC clients pass: crypt(user, password).
  await using fred = new Client({ ...tls, authUser: 'fred', authPass: crypt('fred', 's3cret') });
  await fred.connect();
  const vault = await fred.remoteClass<Vault>('Vault').new();
  console.log(await vault.secret());

  await using mallory = new Client({ ...tls, authUser: 'fred', authPass: crypt('fred', 'guess') });
  await mallory.connect().catch((error: RpcError) => console.log(`mallory: ${error.code}`));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// Output:
// kept for fred
// mallory: AUTH_FAILED
