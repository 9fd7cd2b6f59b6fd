/**
 * Module hooks for catalog modules, registered (`node:module` `register`) by the compiled package the
 * first time a catalog holds a TypeScript module. They run in Node's loader thread, so this file
 * imports only Node's built-ins and esbuild.
 *
 * - `.ts` / `.mts` files outside `node_modules` load as ES modules whatever the folder's
 *   `package.json` says, with types stripped by esbuild (no type checking). A pipeline is ESM
 *   (`import`/`export`), and loading it as CommonJS would load a second copy of Tidemark.
 * - Relative imports may name `.js` for a `.ts` file, or leave the extension out (TypeScript's
 *   conventions): when Node finds nothing, the `.ts` file is tried.
 * - `import … from 'tidemark'` resolves to the running Tidemark when the module's folder has no
 *   `tidemark` package of its own (a global install, `npx`).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

interface ResolveResult {
  readonly url: string;
  readonly format?: string | null;
  readonly shortCircuit?: boolean;
}
type NextResolve = (specifier: string, context: unknown) => Promise<ResolveResult>;
interface LoadResult {
  readonly format: string;
  readonly source?: string | ArrayBuffer | Uint8Array;
  readonly shortCircuit?: boolean;
}
type NextLoad = (url: string, context: unknown) => Promise<LoadResult>;

const TYPESCRIPT = /\.(ts|mts)$/;
let entry = '';

/** Called by `register` with the package entry the `tidemark` specifier falls back to. */
export function initialize(data: { readonly entry: string }): void {
  entry = data.entry;
}

const notFound = (error: unknown): boolean => (error as { code?: string } | null)?.code === 'ERR_MODULE_NOT_FOUND';

export async function resolve(specifier: string, context: { readonly parentURL?: string }, next: NextResolve): Promise<ResolveResult> {
  try {
    return await next(specifier, context);
  } catch (error) {
    if (!notFound(error)) throw error;
    if (specifier === 'tidemark' && entry !== '') return { url: entry, shortCircuit: true };
    const parent = context.parentURL ?? '';
    if (/^\.\.?\//.test(specifier) && TYPESCRIPT.test(new URL(parent, 'file:///').pathname)) {
      const candidates = /\.js$/.test(specifier) ? [specifier.replace(/\.js$/, '.ts')] : /\.mjs$/.test(specifier) ? [specifier.replace(/\.mjs$/, '.mts')] : [`${specifier}.ts`, `${specifier}/index.ts`];
      for (const candidate of candidates) {
        try {
          return await next(candidate, context);
        } catch (again) {
          if (!notFound(again)) throw again;
        }
      }
    }
    throw error;
  }
}

export async function load(url: string, context: unknown, next: NextLoad): Promise<LoadResult> {
  if (!url.startsWith('file:') || url.includes('/node_modules/') || !TYPESCRIPT.test(new URL(url).pathname)) return next(url, context);
  const file = fileURLToPath(url);
  const source = await readFile(file, 'utf8');
  const { transform } = await import('esbuild');
  const out = await transform(source, { loader: 'ts', format: 'esm', target: 'node20', sourcemap: 'inline', sourcefile: file });
  return { format: 'module', source: out.code, shortCircuit: true };
}
