export { runDemo } from '../demo/demo.js';
