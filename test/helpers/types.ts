// Type tests of the public API: a program kept in a string, compiled in memory as if it were a
// file of test/ (with test/tsconfig.json), and the types TypeScript gives its top-level variables.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import ts from 'typescript';
import { root } from './launch.js';

/**
 * Compiles `program` as the file `test/<name>` and returns the problems TypeScript finds in it
 * and, by name, the type of each of its top-level variables.
 */
export function typesOfProgram(name: string, program: string): { problems: string[]; types: Record<string, string> } {
  const file = join(root, 'test', name);
  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'test/tsconfig.json'), {}, {
    ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(ts.flattenDiagnosticMessageText(d.messageText, '\n')),
  })!;
  const options = { ...config.options, noEmit: true };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (path, version, ...rest) =>
    path === file ? ts.createSourceFile(path, program, version) : getSourceFile.call(host, path, version, ...rest);
  host.fileExists = (path) => path === file || fileExists.call(host, path);
  host.readFile = (path) => (path === file ? program : readFile.call(host, path));
  const compiled = ts.createProgram([file], options, host);
  const source = compiled.getSourceFile(file)!;
  const problems = ts.getPreEmitDiagnostics(compiled, source).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  const checker = compiled.getTypeChecker();
  const types: Record<string, string> = {};
  for (const statement of source.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const declaration of statement.declarationList.declarations) {
      types[declaration.name.getText()] = checker.typeToString(checker.getTypeAtLocation(declaration.name));
    }
  }
  return { problems, types };
}
