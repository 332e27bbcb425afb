#!/usr/bin/env node
// The `meridian` command. Meridian runs its TypeScript sources directly through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
