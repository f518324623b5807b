export { NodeLoop, nodeLoop } from './node-loop.js';
