export { main, buildProgram } from './main.js';
export { processIO, memoryIO, type CliIO } from './io.js';
