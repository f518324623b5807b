declare module 'unix-crypt-td-js' {
  /** crypt(3) with a traditional DES salt: the first two characters of `salt`. */
  function unixCryptTD(password: string | number[], salt: string | number[], returnBytes?: boolean): string | number[];
  export default unixCryptTD;
}
