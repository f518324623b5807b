import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { testPki, testPkiFiles } from '@rpc/testkit';

describe('the test PKI', () => {
  it('signs a server certificate for localhost and 127.0.0.1 with the test CA, not the other one', async () => {
    const pki = await testPki();
    const cert = new X509Certificate(pki.cert);
    expect(cert.verify(new X509Certificate(pki.ca).publicKey)).toBe(true);
    expect(cert.verify(new X509Certificate(pki.otherCa).publicKey)).toBe(false);
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
  });

  it('writes the same PKI to files, with an encrypted copy of the key', async () => {
    const [pki, files] = [await testPki(), await testPkiFiles()];
    expect(readFileSync(files.certFile, 'utf8')).toBe(pki.cert);
    expect(readFileSync(files.encryptedKeyFile, 'utf8')).toContain('ENCRYPTED PRIVATE KEY');
  });
});
