// A CommonJS TypeScript script (its package.json says "commonjs"): tsx compiles it to CommonJS.
import { basename } from 'node:path';
import { helper } from './helper';

const kind: string = typeof require === 'function' && typeof module === 'object' ? 'commonjs' : 'esm';
console.log(`cjs ${kind} ${basename(__filename)} ${helper(2)}`);
