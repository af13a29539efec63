import type { Command } from 'commander';
import type { CliIO } from '../io.js';
/** Registers `palisade drift`. */
export function registerDriftCommand(_p: Command, _io: CliIO, _s: (code: number) => void): void {}
