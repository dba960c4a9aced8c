#!/usr/bin/env node
// The `orderhub` command: loads the TypeScript sources through tsx, so a fresh clone runs without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/app/cli/main.ts');
await main(process.argv);
