import unixCrypt from 'unix-crypt-td-js';

const DES_SALT = /^[./0-9A-Za-z]{2}/;
// libxcrypt, which Perl's crypt() calls on Debian, refuses a setting holding any of these: the hash is then "*0".
const REFUSED = /[\s!*:;\\\u0000-\u001f\u007f-\uffff]/;
const utf8 = new TextEncoder();

/**
 * Event::RPC->crypt(user, pass): the traditional DES crypt(3) of the
 * password with the user name as the salt, exactly as Perl's crypt($pass,
 * $user) computes it (so stored hashes and Perl clients keep working). Only
 * the first 8 bytes of the UTF-8 password count, as with crypt(3). Names
 * Perl's crypt refuses as a salt give "*0", which matches no password.
 */
export function crypt(user: string, pass: string): string {
  if (!DES_SALT.test(user) || REFUSED.test(user)) return '*0';
  return unixCrypt(Array.from(utf8.encode(pass)), user) as string;
}
