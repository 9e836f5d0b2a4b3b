#!/usr/bin/env node
// `npx tollgate`: runs the TypeScript CLI (scripts/tollgate.ts) through tsx.
import process from 'node:process';
import { tsImport } from 'tsx/esm/api';

const { main } = await tsImport('./tollgate.ts', import.meta.url);
process.exitCode = await main(process.argv.slice(2), process.env, {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
