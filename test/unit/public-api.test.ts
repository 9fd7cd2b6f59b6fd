/**
 * The package's public surface is closed: every named type a user can receive from or pass to what
 * `src/index.ts` exports (a method's parameters and result, an option's fields, a result's fields,
 * recursively) is itself exported, so a user can name it. Members tagged `@internal` are not part
 * of the surface (the build strips them from the declarations). Checked with the TypeScript
 * compiler's own type checker, on the sources.
 */
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.join(import.meta.dirname, '..', '..');
const ENTRY = path.join(ROOT, 'src', 'index.ts');

const program = ts.createProgram([ENTRY], {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  allowImportingTsExtensions: true,
  noEmit: true,
  strict: true,
  skipLibCheck: true,
});
const checker = program.getTypeChecker();
const entry = program.getSourceFile(ENTRY)!;
const exported = checker.getExportsOfModule(checker.getSymbolAtLocation(entry)!);
const exportedNames = new Set(exported.map((s) => s.name));

const inSources = (d: ts.Declaration): boolean => {
  const file = d.getSourceFile().fileName;
  return file.startsWith(path.join(ROOT, 'src')) && !file.includes('node_modules');
};
const isInternal = (d: ts.Node): boolean => ts.getJSDocTags(d).some((t) => t.tagName.text === 'internal');
const isPrivate = (d: ts.Declaration): boolean =>
  (ts.getCombinedModifierFlags(d) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) !== 0 || (ts.isPropertyDeclaration(d) || ts.isMethodDeclaration(d) ? ts.isPrivateIdentifier(d.name) : false);

/** Named types of the sources reachable from the exports, each with one path that reaches it. */
function reachable(): Map<string, string> {
  const found = new Map<string, string>();
  const seenTypes = new Set<ts.Type>();
  const walkSignature = (sig: ts.Signature, via: string): void => {
    for (const p of sig.getParameters()) walkType(checker.getTypeOfSymbol(p), `${via}(${p.name})`);
    walkType(sig.getReturnType(), `${via}()`);
  };
  const walkMembers = (type: ts.Type, via: string): void => {
    for (const prop of checker.getPropertiesOfType(type)) {
      const decls = prop.getDeclarations() ?? [];
      if (decls.some((d) => isInternal(d) || isPrivate(d))) continue;
      if (decls.length > 0 && !decls.some(inSources)) continue;
      walkType(checker.getTypeOfSymbol(prop), `${via}.${prop.name}`);
    }
    for (const sig of type.getCallSignatures()) walkSignature(sig, via);
    for (const sig of type.getConstructSignatures()) {
      // A private or `@internal` constructor is no way in for a user (`Tidemark.open()` is).
      const decl = sig.getDeclaration() as ts.Declaration | undefined;
      if (decl !== undefined && (isInternal(decl) || isPrivate(decl))) continue;
      walkSignature(sig, `new ${via}`);
    }
  };
  const walkType = (type: ts.Type, via: string): void => {
    if (seenTypes.has(type)) return;
    seenTypes.add(type);
    if (type.isUnionOrIntersection()) return type.types.forEach((t) => walkType(t, via));
    const symbol = type.aliasSymbol ?? type.getSymbol();
    for (const arg of [...(type.aliasTypeArguments ?? []), ...((type as ts.TypeReference).target === undefined ? [] : checker.getTypeArguments(type as ts.TypeReference))]) walkType(arg, `${via}<>`);
    const decls = symbol?.getDeclarations() ?? [];
    const named = decls.find((d) => ts.isInterfaceDeclaration(d) || ts.isTypeAliasDeclaration(d) || ts.isClassDeclaration(d) || ts.isEnumDeclaration(d));
    if (named !== undefined && !inSources(named)) return; // a library's type (Promise, Date, DuckDB's)
    if (named !== undefined && !isInternal(named) && !found.has(symbol!.name)) found.set(symbol!.name, via);
    if (type.flags & ts.TypeFlags.Object) {
      // An interface's or class's bases are named in its declaration (`interface CommitResult extends RecordCounts`).
      if (type.isClassOrInterface()) for (const base of checker.getBaseTypes(type)) walkType(base, `${via} extends`);
      walkMembers(type, via);
    }
  };
  for (const s of exported) {
    const symbol = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
    const decl = symbol.getDeclarations()?.[0];
    if (decl === undefined) continue;
    if (symbol.flags & ts.SymbolFlags.Class) {
      walkMembers(checker.getTypeOfSymbol(symbol), s.name); // statics and the constructor
      walkMembers(checker.getDeclaredTypeOfSymbol(symbol), s.name);
    } else if (symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias)) {
      walkType(checker.getDeclaredTypeOfSymbol(symbol), s.name);
    } else {
      walkType(checker.getTypeOfSymbol(symbol), s.name);
    }
  }
  return found;
}

describe('the public API', () => {
  const found = reachable();

  it('is found (the check below is not vacuous)', () => {
    expect(exportedNames.has('Tidemark')).toBe(true);
    expect(found.has('CommitResult')).toBe(true);
    expect(found.size).toBeGreaterThan(40);
  });

  it('exports every named type a user can receive or pass', () => {
    const missing = [...found].filter(([name]) => !exportedNames.has(name)).map(([name, via]) => `${name} (via ${via})`);
    expect(missing).toEqual([]);
  });
});

/** The declaration's own doc comment (TSDoc text or tags), without the tags of its parents. */
const hasDoc = (symbol: ts.Symbol, decl: ts.Declaration): boolean =>
  symbol.getDocumentationComment(checker).some((p) => p.text.trim() !== '') || ts.getJSDocTags(decl).length > 0;
const throwsTags = (decl: ts.Declaration): number => ts.getJSDocTags(decl).filter((t) => t.tagName.text === 'throws').length;

/** Public members of a class: instance and static, not private, protected, `#` or `@internal`; no constructor. */
function publicMembers(cls: ts.Symbol): Array<{ name: string; symbol: ts.Symbol; decl: ts.Declaration }> {
  const members: Array<{ name: string; symbol: ts.Symbol; decl: ts.Declaration }> = [];
  for (const [type, prefix] of [[checker.getDeclaredTypeOfSymbol(cls), ''], [checker.getTypeOfSymbol(cls), 'static ']] as const) {
    for (const prop of checker.getPropertiesOfType(type)) {
      if (prop.name === 'prototype') continue;
      const decl = prop.getDeclarations()?.[0];
      if (decl === undefined || !inSources(decl) || isInternal(decl) || isPrivate(decl)) continue;
      members.push({ name: `${prefix}${prop.name}`, symbol: prop, decl });
    }
  }
  return members;
}

describe('the public API documentation', () => {
  const resolved = exported.map((s) => ({ name: s.name, symbol: s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s }));
  const tidemark = resolved.find((e) => e.name === 'Tidemark')!.symbol;

  it('is found (the checks below are not vacuous)', () => {
    expect(resolved.filter((e) => e.symbol.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Class)).length).toBeGreaterThan(15);
    expect(publicMembers(tidemark).map((m) => m.name)).toEqual(expect.arrayContaining(['write', 'read', 'sql', 'static open', 'close']));
    expect(publicMembers(tidemark).map((m) => m.name)).not.toContain('duck');
  });

  it('documents every exported function and class', () => {
    const undocumented = resolved
      .filter((e) => e.symbol.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Class))
      .filter((e) => {
        const decl = e.symbol.getDeclarations()?.[0];
        return decl !== undefined && inSources(decl) && !hasDoc(e.symbol, decl);
      })
      .map((e) => e.name);
    expect(undocumented).toEqual([]);
  });

  it('documents every public member of Tidemark, with what it throws', () => {
    const members = publicMembers(tidemark);
    expect(members.filter((m) => !hasDoc(m.symbol, m.decl)).map((m) => m.name)).toEqual([]);
    const methods = members.filter((m) => ts.isMethodDeclaration(m.decl));
    expect(methods.filter((m) => throwsTags(m.decl) === 0).map((m) => m.name)).toEqual([]);
  });
});
