#!/usr/bin/env node
// The entry. Its only static import is the process guards, so they are in
// place before the program's modules are read (an ES module's static imports
// are all loaded before any of them runs); then the program.
import { installProcessGuards } from './process-guards.js';

installProcessGuards(process.argv.slice(2));
const { main } = await import('./program.js');
process.exitCode = await main(process.argv);
