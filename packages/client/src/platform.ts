// What the client takes from its platform: the default loop and reading CA files. Node's, here.
export { loadCaCertificates, nodeLoop as defaultLoop } from '@rpc/loop-node';
