// Entry of the SQLite writer thread: a worker starts without the main thread's TypeScript loader, so it registers its own.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
