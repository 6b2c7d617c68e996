// Reads the exported API of a package's export entries with the TypeScript compiler API.
import { basename, dirname } from 'node:path';
import ts from 'typescript';
import {
  compareNames,
  normalizeLines,
  relativizeSpecifier,
  sortUnionMembers,
  stripExtension,
} from './format.mjs';

/**
 * @typedef {{ name: string, lines: string[] }} ExportReport
 * @typedef {{ exports: ExportReport[], problems: string[] }} EntryReport
 * @typedef {{
 *   checker: ts.TypeChecker,
 *   program: ts.Program,
 *   file: ts.SourceFile,
 *   dir: string,
 *   printer: ts.Printer,
 *   exported: Map<string, string>,
 *   modules: Map<string, ts.Symbol | undefined>,
 *   problems: string[],
 * }} Context
 */

const FLAGS = /** @type {ts.NodeBuilderFlags} */ (
  ts.NodeBuilderFlags.NoTruncation |
    ts.NodeBuilderFlags.IgnoreErrors |
    ts.NodeBuilderFlags.MultilineObjectLiterals |
    ts.NodeBuilderFlags.UseSingleQuotesForStringLiteralType |
    ts.NodeBuilderFlags.WriteTypeArgumentsOfSignature
);
const ALIAS_FLAGS = /** @type {ts.NodeBuilderFlags} */ (FLAGS | ts.NodeBuilderFlags.InTypeAlias);
const HIDDEN = ts.ModifierFlags.Private | ts.ModifierFlags.Protected;
const ANY_MEANING = /** @type {ts.SymbolFlags} */ (
  ts.SymbolFlags.Type | ts.SymbolFlags.Value | ts.SymbolFlags.Namespace
);

/**
 * A compiler host that shares parsed files through `cache`, so one run parses the lib files and
 * each dependency once however many packages use them.
 * @param {ts.CompilerOptions} options
 * @param {Map<string, ts.SourceFile>} cache
 */
function cachingHost(options, cache) {
  const host = ts.createCompilerHost(options, true);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, ...rest) => {
    const key = `${fileName}\0${JSON.stringify(languageVersion)}`;
    let file = cache.get(key);
    if (file === undefined) {
      file = getSourceFile(fileName, languageVersion, ...rest);
      if (file !== undefined) cache.set(key, file);
    }
    return file;
  };
  return host;
}

/**
 * Builds one program for a package (its tsconfig's options, the entry files as roots) and
 * describes every export of each entry file.
 *
 * @param {string} tsconfigPath
 * @param {{ file: string, specifier: string }[]} entries absolute entry files and their import
 *   specifiers (`@scope/pkg`, `@scope/pkg/testing`)
 * @param {Map<string, ts.SourceFile>} [cache] parsed files shared by the programs of one run
 * @returns {Map<string, EntryReport>} by entry file
 */
export function extractApi(tsconfigPath, entries, cache = new Map()) {
  const config = ts.getParsedCommandLineOfConfigFile(
    tsconfigPath,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (config === undefined) throw new Error(`cannot read ${tsconfigPath}`);
  const options = { ...config.options, noEmit: true };
  const program = ts.createProgram({
    rootNames: entries.map((e) => e.file),
    options,
    host: cachingHost(options, cache),
  });
  const checker = program.getTypeChecker();
  const printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed });
  const modules = entries.map((e) => {
    const source = program.getSourceFile(e.file);
    const symbol = source && checker.getSymbolAtLocation(source);
    const exports = symbol
      ? checker
          .getExportsOfModule(symbol)
          .map((x) => ({ name: x.name, symbol: resolveAlias(checker, x) }))
          .sort((a, b) => compareNames(a.name, b.name))
      : [];
    return { ...e, source, exports };
  });
  /** @type {Map<string, EntryReport>} */
  const out = new Map();
  for (const m of modules) {
    if (m.source === undefined) {
      out.set(m.file, { exports: [], problems: ['the entry file is not in the program'] });
      continue;
    }
    /** @type {Context} */
    const ctx = {
      checker,
      program,
      file: m.source,
      dir: dirname(m.source.fileName),
      printer,
      exported: new Map(),
      modules: new Map(),
      problems: [],
    };
    // Names the report can use: the package's other entries first, then this entry's own.
    for (const other of [...modules.filter((o) => o !== m), m]) {
      for (const { name, symbol } of other.exports) {
        const shown = other === m ? name : `import("${other.specifier}").${name}`;
        for (const d of symbol.declarations ?? []) {
          ctx.exported.set(exportKey(d, symbol), shown);
        }
      }
    }
    const exports = m.exports.map(({ name, symbol }) => ({
      name,
      lines: describe(name, symbol, ctx),
    }));
    const unexported = new Set(
      exports.flatMap((e) => e.lines.join('\n').match(/import\("\.[^"]*"\)(?:\.[\w$]+)+/g) ?? []),
    );
    if (unexported.size > 0) {
      ctx.problems.push(
        `uses ${unexported.size} type(s) of the package that no entry exports: ` +
          [...unexported].sort().join(', '),
      );
    }
    out.set(m.file, { exports, problems: ctx.problems });
  }
  return out;
}

/** @param {ts.TypeChecker} checker @param {ts.Symbol} symbol */
function resolveAlias(checker, symbol) {
  return symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
}

/**
 * The report lines of one exported name: one block per meaning (value and type).
 * @param {string} name
 * @param {ts.Symbol} symbol
 * @param {Context} ctx
 * @returns {string[]}
 */
function describe(name, symbol, ctx) {
  const { checker } = ctx;
  const f = symbol.flags;
  const S = ts.SymbolFlags;
  /** @type {string[]} */
  const lines = [];
  if (f & S.Class) lines.push(...describeClass(name, symbol, ctx));
  else if (f & S.Function) {
    for (const sig of checker.getSignaturesOfType(
      checker.getTypeOfSymbol(symbol),
      ts.SignatureKind.Call,
    )) {
      const decl = checker.signatureToSignatureDeclaration(
        sig,
        ts.SyntaxKind.FunctionDeclaration,
        ctx.file,
        FLAGS,
      );
      if (decl && ts.isFunctionDeclaration(decl)) {
        lines.push(
          print(
            ts.factory.updateFunctionDeclaration(
              decl,
              undefined,
              undefined,
              ts.factory.createIdentifier(name),
              decl.typeParameters,
              decl.parameters,
              decl.type,
              undefined,
            ),
            ctx,
          ),
        );
      }
    }
  } else if (f & S.Enum) lines.push(...describeEnum(name, symbol, ctx));
  else if (f & S.Variable) {
    const decl = symbol.valueDeclaration;
    const flags = decl ? ts.getCombinedNodeFlags(decl) : 0;
    const keyword = flags & ts.NodeFlags.Const ? 'const' : flags & ts.NodeFlags.Let ? 'let' : 'var';
    const shown = annotationText(decl, ctx) ?? typeText(checker.getTypeOfSymbol(symbol), ctx);
    lines.push(`${keyword} ${name}: ${shown};`);
  } else if (f & (S.ValueModule | S.NamespaceModule)) {
    lines.push(`namespace ${name} {`);
    const members = checker.getExportsOfModule(symbol).sort((a, b) => compareNames(a.name, b.name));
    for (const m of members) {
      for (const l of describe(m.name, resolveAlias(checker, m), ctx)) lines.push(`  ${l}`);
    }
    lines.push('}');
  }
  if (f & S.Interface && !(f & S.Class)) lines.push(...describeInterface(name, symbol, ctx));
  if (f & S.TypeAlias) {
    const type = checker.getDeclaredTypeOfSymbol(symbol);
    const node = checker.typeToTypeNode(type, ctx.file, ALIAS_FLAGS);
    lines.push(`type ${name}${typeParameters(symbol, ctx)} = ${node ? print(node, ctx) : '?'};`);
  }
  if (lines.length === 0) {
    ctx.problems.push(`${name}: unsupported symbol kind (flags ${f})`);
    lines.push(`// ${name}: unsupported symbol kind`);
  }
  return lines.flatMap((l) => l.split('\n'));
}

/** @param {string} name @param {ts.Symbol} symbol @param {Context} ctx */
function describeInterface(name, symbol, ctx) {
  const { checker } = ctx;
  const type = /** @type {ts.InterfaceType} */ (checker.getDeclaredTypeOfSymbol(symbol));
  const bases =
    heritageTexts(symbol, ts.SyntaxKind.ExtendsKeyword, ctx) ??
    checker.getBaseTypes(type).map((t) => typeText(t, ctx));
  const heritage = bases.length > 0 ? ` extends ${bases.join(', ')}` : '';
  const members = [
    ...checker
      .getSignaturesOfType(type, ts.SignatureKind.Call)
      .map((s) => signatureText(s, ts.SyntaxKind.CallSignature, undefined, ctx)),
    ...checker
      .getSignaturesOfType(type, ts.SignatureKind.Construct)
      .map((s) => signatureText(s, ts.SyntaxKind.ConstructSignature, undefined, ctx)),
    ...indexLines(type, ctx),
    ...checker.getPropertiesOfType(type).flatMap((p) => memberLines(p, '', ctx)),
  ];
  return block(`interface ${name}${typeParameters(symbol, ctx)}${heritage}`, members);
}

/**
 * The `extends` or `implements` types of a class or interface as written (see `typeNodeText`),
 * or undefined when one of them cannot be written at the entry.
 * @param {ts.Symbol} symbol
 * @param {ts.SyntaxKind.ExtendsKeyword | ts.SyntaxKind.ImplementsKeyword} token
 * @param {Context} ctx
 */
function heritageTexts(symbol, token, ctx) {
  /** @type {string[]} */
  const out = [];
  for (const d of symbol.declarations ?? []) {
    if (!ts.isClassLike(d) && !ts.isInterfaceDeclaration(d)) continue;
    for (const clause of d.heritageClauses ?? []) {
      if (clause.token !== token) continue;
      for (const t of clause.types) {
        const text = typeNodeText(t, ctx);
        if (text === undefined) return undefined;
        out.push(text);
      }
    }
  }
  return out;
}

/** @param {string} name @param {ts.Symbol} symbol @param {Context} ctx */
function describeClass(name, symbol, ctx) {
  const { checker } = ctx;
  const decls = (symbol.declarations ?? []).filter(ts.isClassLike);
  const classDecl = decls[0];
  const instance = /** @type {ts.InterfaceType} */ (checker.getDeclaredTypeOfSymbol(symbol));
  const staticType = checker.getTypeOfSymbol(symbol);
  /** @param {ts.Symbol} p */
  const own = (p) =>
    (p.declarations ?? []).some(
      (d) =>
        decls.includes(/** @type {ts.ClassLikeDeclaration} */ (d.parent)) ||
        (ts.isParameter(d) &&
          decls.includes(/** @type {ts.ClassLikeDeclaration} */ (d.parent.parent))),
    );
  const bases =
    heritageTexts(symbol, ts.SyntaxKind.ExtendsKeyword, ctx) ??
    checker.getBaseTypes(instance).map((t) => typeText(t, ctx));
  const implemented =
    heritageTexts(symbol, ts.SyntaxKind.ImplementsKeyword, ctx) ??
    (classDecl?.heritageClauses ?? [])
      .filter((h) => h.token === ts.SyntaxKind.ImplementsKeyword)
      .flatMap((h) => h.types.map((t) => typeText(checker.getTypeAtLocation(t), ctx)));
  const isAbstract =
    classDecl !== undefined && ts.getCombinedModifierFlags(classDecl) & ts.ModifierFlags.Abstract;
  const header =
    `${isAbstract ? 'abstract ' : ''}class ${name}${typeParameters(symbol, ctx)}` +
    (bases.length > 0 ? ` extends ${bases.join(', ')}` : '') +
    (implemented.length > 0 ? ` implements ${implemented.join(', ')}` : '');
  const ctorDecl = classDecl?.members.find(ts.isConstructorDeclaration);
  const ctorHidden = ctorDecl !== undefined && ts.getCombinedModifierFlags(ctorDecl) & HIDDEN;
  const members = [
    ...(ctorHidden
      ? [
          `${ts.getCombinedModifierFlags(ctorDecl) & ts.ModifierFlags.Private ? 'private' : 'protected'} constructor();`,
        ]
      : checker
          .getSignaturesOfType(staticType, ts.SignatureKind.Construct)
          .map((s) => signatureText(s, ts.SyntaxKind.Constructor, 'constructor', ctx))),
    ...checker
      .getPropertiesOfType(staticType)
      .filter((p) => p.name !== 'prototype' && own(p))
      .flatMap((p) => memberLines(p, 'static ', ctx)),
    ...indexLines(instance, ctx, (d) =>
      decls.includes(/** @type {ts.ClassLikeDeclaration} */ (d.parent)),
    ),
    ...checker
      .getPropertiesOfType(instance)
      .filter(own)
      .flatMap((p) => memberLines(p, '', ctx)),
  ];
  return block(header, members);
}

/** @param {string} name @param {ts.Symbol} symbol @param {Context} ctx */
function describeEnum(name, symbol, ctx) {
  const decls = (symbol.declarations ?? []).filter(ts.isEnumDeclaration);
  const isConst = symbol.flags & ts.SymbolFlags.ConstEnum;
  const members = decls.flatMap((d) =>
    d.members.map((m) => {
      const value = ctx.checker.getConstantValue(m);
      const shown =
        value === undefined ? '' : ` = ${typeof value === 'string' ? quote(value) : value}`;
      return `${propertyName(ts.isIdentifier(m.name) || ts.isStringLiteral(m.name) ? m.name.text : m.name.getText())}${shown},`;
    }),
  );
  return block(`${isConst ? 'const ' : ''}enum ${name}`, members);
}

/**
 * @param {ts.Symbol} p a property of an interface or class
 * @param {string} prefix `static ` or ``
 * @param {Context} ctx
 * @returns {string[]}
 */
function memberLines(p, prefix, ctx) {
  const { checker } = ctx;
  if (p.name.startsWith('#') || String(p.escapedName).startsWith('__#')) return []; // #private
  const decls = p.declarations ?? [];
  if (decls.some((d) => ts.getCombinedModifierFlags(d) & HIDDEN)) return [];
  const optional = p.flags & ts.SymbolFlags.Optional ? '?' : '';
  const name = memberName(p);
  const type = checker.getTypeOfSymbol(p);
  if (p.flags & ts.SymbolFlags.Method) {
    return checker
      .getSignaturesOfType(type, ts.SignatureKind.Call)
      .map((s) => prefix + signatureText(s, ts.SyntaxKind.MethodSignature, name + optional, ctx));
  }
  const getterOnly =
    p.flags & ts.SymbolFlags.GetAccessor && !(p.flags & ts.SymbolFlags.SetAccessor);
  const readonly =
    getterOnly || decls.some((d) => ts.getCombinedModifierFlags(d) & ts.ModifierFlags.Readonly);
  const shown = annotationText(p.valueDeclaration, ctx) ?? typeText(type, ctx, optional !== '');
  return [`${prefix}${readonly ? 'readonly ' : ''}${name}${optional}: ${shown};`];
}

/**
 * @param {ts.Type} type
 * @param {Context} ctx
 * @param {(decl: ts.IndexSignatureDeclaration) => boolean} [keep] which declarations to list
 */
function indexLines(type, ctx, keep = () => true) {
  return ctx.checker
    .getIndexInfosOfType(type)
    .filter((info) => info.declaration === undefined || keep(info.declaration))
    .map((info) => {
      const key = typeText(info.keyType, ctx);
      return `${info.isReadonly ? 'readonly ' : ''}[key: ${key}]: ${typeText(info.type, ctx)};`;
    });
}

/**
 * @param {ts.Signature} sig
 * @param {ts.SyntaxKind} kind
 * @param {string | undefined} name
 * @param {Context} ctx
 */
function signatureText(sig, kind, name, ctx) {
  const node = ctx.checker.signatureToSignatureDeclaration(sig, kind, ctx.file, FLAGS);
  if (node === undefined) return `${name ?? ''}(?);`;
  let text = print(
    ts.isConstructorDeclaration(node)
      ? ts.factory.updateConstructorDeclaration(
          node,
          node.modifiers,
          node.parameters.map((p) =>
            ts.factory.updateParameterDeclaration(
              p,
              undefined,
              p.dotDotDotToken,
              p.name,
              p.questionToken,
              p.type,
              p.initializer,
            ),
          ),
          node.body,
        )
      : node,
    ctx,
  );
  if (name !== undefined && ts.isMethodSignature(node)) {
    // The printer names the method after its declaration; ours may be renamed or optional.
    text = text.replace(/^[^(<]*/, name);
  }
  return text.endsWith(';') ? text : `${text};`;
}

/**
 * @param {ts.Type} type
 * @param {Context} ctx
 * @param {boolean} [optional] an optional property: drop the `undefined` its `?` adds
 */
function typeText(type, ctx, optional = false) {
  const { checker } = ctx;
  let node = checker.typeToTypeNode(type, ctx.file, FLAGS);
  if (node === undefined) return checker.typeToString(type, ctx.file);
  if (
    optional &&
    ts.isUnionTypeNode(node) &&
    type.isUnion() &&
    // With exactOptionalPropertyTypes the `?` adds a "missing" type, not `undefined` itself.
    !type.types.includes(checker.getUndefinedType())
  ) {
    const rest = node.types.filter((t) => t.kind !== ts.SyntaxKind.UndefinedKeyword);
    const only = rest.length === 1 ? rest[0] : undefined;
    node =
      only === undefined
        ? ts.factory.createUnionTypeNode(rest)
        : ts.isParenthesizedTypeNode(only)
          ? only.type
          : only;
  }
  return print(node, ctx);
}

/**
 * The type annotation of a property, accessor or variable declaration (see `typeNodeText`).
 * @param {ts.Declaration | undefined} decl
 * @param {Context} ctx
 */
function annotationText(decl, ctx) {
  const typeNode =
    decl !== undefined &&
    (ts.isPropertySignature(decl) ||
      ts.isPropertyDeclaration(decl) ||
      ts.isParameter(decl) ||
      ts.isVariableDeclaration(decl) ||
      ts.isGetAccessorDeclaration(decl))
      ? decl.type
      : undefined;
  return typeNode && typeNodeText(typeNode, ctx);
}

/**
 * A type as written in the source, with every name it references made valid at the entry (the
 * name the entry exports it under, `import("pkg").X` for a dependency's type, or a global), so
 * that names the checker would expand (such as a `keyof typeof …` union) are kept. Undefined
 * when some name cannot be written that way; callers then print the checker's type instead.
 * @param {ts.TypeNode} typeNode
 * @param {Context} ctx
 */
function typeNodeText(typeNode, ctx) {
  let ok = /** @type {boolean} */ (true);
  const f = ts.factory;
  /** @type {ts.Node} */
  const root = typeNode;
  const result = ts.transform(root, [
    (context) => {
      /** @param {ts.Node} node @returns {ts.Node} */
      const visit = (node) => {
        if (!ok) return node;
        if (ts.isImportTypeNode(node) || ts.isTypeQueryNode(node) || ts.isThisTypeNode(node)) {
          ok = false;
          return node;
        }
        if (ts.isTypeReferenceNode(node) || ts.isExpressionWithTypeArguments(node)) {
          const entity = ts.isTypeReferenceNode(node)
            ? node.typeName
            : asEntityName(node.expression);
          const name = entity && referenceText(entity, ctx);
          if (name === undefined) {
            ok = false;
            return node;
          }
          const args = node.typeArguments?.map((a) => /** @type {ts.TypeNode} */ (visit(a)));
          return f.createTypeReferenceNode(f.createIdentifier(name), args);
        }
        return ts.visitEachChild(node, visit, context);
      };
      return (root) => visit(root);
    },
  ]);
  const text = ok
    ? ctx.printer.printNode(
        ts.EmitHint.Unspecified,
        /** @type {ts.Node} */ (result.transformed[0]),
        typeNode.getSourceFile(),
      )
    : undefined;
  result.dispose();
  return text === undefined ? undefined : normalizeLines(text).join('\n');
}

/** @param {ts.Expression} e @returns {ts.EntityName | undefined} */
function asEntityName(e) {
  if (ts.isIdentifier(e)) return e;
  if (ts.isPropertyAccessExpression(e) && ts.isIdentifier(e.name)) {
    const left = asEntityName(e.expression);
    return left && ts.factory.createQualifiedName(left, e.name);
  }
  return undefined;
}

/**
 * How the entry can name what `name` (in some source file) refers to, or undefined.
 * @param {ts.EntityName} name
 * @param {Context} ctx
 */
function referenceText(name, ctx) {
  const { checker } = ctx;
  const first = leftmost(name);
  const rest = entityText(name).slice(first.text.length);
  const symbol = checker.getSymbolAtLocation(first);
  if (symbol === undefined) return undefined;
  const target = resolveAlias(checker, symbol);
  if (target.flags & ts.SymbolFlags.TypeParameter) return entityText(name);
  const shown = exportedName(target, ctx);
  if (shown !== undefined) return shown + rest;
  const atEntry = checker.resolveName(first.text, ctx.file, ANY_MEANING, false);
  if (atEntry !== undefined && resolveAlias(checker, atEntry) === target) return entityText(name);
  // Imported from another package: `import("pkg").Name`.
  const decl = symbol.flags & ts.SymbolFlags.Alias ? symbol.declarations?.[0] : undefined;
  const n = decl && ts.findAncestor(decl, ts.isImportDeclaration);
  if (decl === undefined || n === undefined || !ts.isStringLiteral(n.moduleSpecifier)) {
    return undefined;
  }
  const spec = n.moduleSpecifier.text;
  if (spec.startsWith('.') || spec.startsWith('/')) return undefined;
  if (ts.isNamespaceImport(decl)) return `import("${spec}")${rest}`;
  const imported = ts.isImportSpecifier(decl)
    ? (decl.propertyName ?? decl.name).text
    : ts.isImportClause(decl)
      ? 'default'
      : undefined;
  return imported === undefined ? undefined : `import("${spec}").${imported}${rest}`;
}

/** @param {ts.EntityName} name @returns {string} */
function entityText(name) {
  return ts.isIdentifier(name) ? name.text : `${entityText(name.left)}.${name.right.text}`;
}

/** @param {ts.Symbol} symbol @param {Context} ctx */
function typeParameters(symbol, ctx) {
  const decl = symbol.declarations?.find(
    (d) => ts.isClassLike(d) || ts.isInterfaceDeclaration(d) || ts.isTypeAliasDeclaration(d),
  );
  const params = decl?.typeParameters ?? [];
  if (params.length === 0) return '';
  const texts = params.map((p) => {
    const constraint = p.constraint && typeNodeText(p.constraint, ctx);
    const fallback = p.default && typeNodeText(p.default, ctx);
    if ((p.constraint === undefined || constraint) && (p.default === undefined || fallback)) {
      const modifiers = (p.modifiers ?? []).map((m) => `${m.getText()} `).join('');
      return (
        modifiers +
        p.name.text +
        (constraint ? ` extends ${constraint}` : '') +
        (fallback ? ` = ${fallback}` : '')
      );
    }
    const node = ctx.checker.typeParameterToDeclaration(
      /** @type {ts.TypeParameter} */ (ctx.checker.getTypeAtLocation(p)),
      ctx.file,
      FLAGS,
    );
    return node ? print(node, ctx) : p.name.text;
  });
  return `<${texts.join(', ')}>`;
}

/** @param {ts.Symbol} p */
function memberName(p) {
  const nameNode = p.valueDeclaration && ts.getNameOfDeclaration(p.valueDeclaration);
  if (nameNode && ts.isComputedPropertyName(nameNode)) {
    return `[${nameNode.expression.getText().replace(/\s+/g, ' ')}]`;
  }
  return propertyName(p.name);
}

/** @param {string} name */
function propertyName(name) {
  return /^[A-Za-z_$][\w$]*$|^\d+$/.test(name) ? name : quote(name);
}

/** @param {string} s */
function quote(s) {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** @param {string} header @param {string[]} members */
function block(header, members) {
  if (members.length === 0) return [`${header} {}`];
  return [`${header} {`, ...members.flatMap((m) => m.split('\n').map((l) => `  ${l}`)), '}'];
}

/**
 * Prints a node the checker built, after two rewrites: `import("./x.js").Foo` becomes `Foo`
 * when the entry exports it (else its specifier loses any absolute path), and union members
 * get a fixed order.
 * @param {ts.Node} node
 * @param {Context} ctx
 */
function print(node, ctx) {
  const result = ts.transform(node, [(context) => (root) => visit(root, context, ctx)]);
  const text = ctx.printer.printNode(
    ts.EmitHint.Unspecified,
    /** @type {ts.Node} */ (result.transformed[0]),
    ctx.file,
  );
  result.dispose();
  return normalizeLines(text).join('\n');
}

/**
 * @param {ts.Node} node
 * @param {ts.TransformationContext} context
 * @param {Context} ctx
 * @returns {ts.Node}
 */
function visit(node, context, ctx) {
  const f = ts.factory;
  const next = ts.visitEachChild(node, (n) => visit(n, context, ctx), context);
  if (ts.isTypeReferenceNode(next) || ts.isTypeQueryNode(next)) {
    const entity = ts.isTypeReferenceNode(next) ? next.typeName : next.exprName;
    const shown =
      ts.isIdentifier(entity) || ts.isQualifiedName(entity)
        ? localName(leftmost(entity).text, ctx)
        : undefined;
    if (shown === undefined) return next;
    const name = replaceLeftmost(/** @type {ts.EntityName} */ (entity), shown);
    return ts.isTypeReferenceNode(next)
      ? f.createTypeReferenceNode(name, next.typeArguments)
      : f.createTypeQueryNode(name, next.typeArguments);
  }
  if (ts.isImportTypeNode(next) && ts.isLiteralTypeNode(next.argument)) {
    const literal = next.argument.literal;
    if (!ts.isStringLiteral(literal)) return next;
    const spec = literal.text;
    const first = next.qualifier && leftmost(next.qualifier);
    const member = first && exportOfModule(spec, first.text, ctx);
    const exportedAs = member && exportedName(member, ctx);
    if (exportedAs !== undefined && next.qualifier) {
      const name = replaceLeftmost(next.qualifier, exportedAs);
      return next.isTypeOf
        ? f.createTypeQueryNode(name, next.typeArguments)
        : f.createTypeReferenceNode(name, next.typeArguments);
    }
    const relative = relativizeSpecifier(spec, ctx.dir);
    if (relative === spec) return next;
    return f.updateImportTypeNode(
      next,
      f.createLiteralTypeNode(f.createStringLiteral(relative)),
      next.attributes,
      next.qualifier,
      next.typeArguments,
      next.isTypeOf,
    );
  }
  if (ts.isUnionTypeNode(next)) {
    const texts = next.types.map((t) => ({
      t,
      text: ctx.printer.printNode(ts.EmitHint.Unspecified, t, ctx.file),
    }));
    const order = sortUnionMembers(texts.map((x) => x.text));
    const sorted = order.map((text) => {
      const i = texts.findIndex((x) => x.text === text);
      return /** @type {{ t: ts.TypeNode }} */ (texts.splice(i, 1)[0]).t;
    });
    return f.updateUnionTypeNode(next, f.createNodeArray(sorted));
  }
  return next;
}

/**
 * The checker writes a name as is when it is in scope in the entry file, which is also true of
 * what the entry file imports or declares without exporting it. Such a name becomes the name
 * the package exports it under, or `import("…").Name`; undefined leaves it as is.
 * @param {string} name
 * @param {Context} ctx
 */
function localName(name, ctx) {
  const { checker } = ctx;
  const symbol = checker.resolveName(name, ctx.file, ANY_MEANING, false);
  const decl = symbol?.declarations?.[0];
  if (symbol === undefined || decl === undefined || decl.getSourceFile() !== ctx.file) {
    return undefined;
  }
  if (symbol.flags & ts.SymbolFlags.TypeParameter) return undefined;
  const target = resolveAlias(checker, symbol);
  const shown = exportedName(target, ctx);
  if (shown !== undefined) return shown === name ? undefined : shown;
  const n = ts.findAncestor(decl, ts.isImportDeclaration);
  if (n === undefined || !ts.isStringLiteral(n.moduleSpecifier)) {
    return `import("./${basename(ctx.file.fileName)}").${name}`;
  }
  const imported = ts.isImportSpecifier(decl)
    ? (decl.propertyName ?? decl.name).text
    : ts.isImportClause(decl)
      ? 'default'
      : undefined;
  const spec = n.moduleSpecifier.text;
  return imported === undefined ? `import("${spec}")` : `import("${spec}").${imported}`;
}

/**
 * The name this entry (or another entry of the package) exports `symbol` under.
 * @param {ts.Symbol} symbol alias-resolved
 * @param {Context} ctx
 */
function exportedName(symbol, ctx) {
  for (const d of symbol.declarations ?? []) {
    const shown = ctx.exported.get(exportKey(d, symbol));
    if (shown !== undefined) return shown;
  }
  return undefined;
}

/** @param {ts.Declaration} decl @param {ts.Symbol} symbol */
function exportKey(decl, symbol) {
  return `${stripExtension(decl.getSourceFile().fileName)}#${symbol.name}`;
}

/**
 * The (alias-resolved) export `name` of the module `specifier` names from the entry file.
 * @param {string} specifier
 * @param {string} name
 * @param {Context} ctx
 */
function exportOfModule(specifier, name, ctx) {
  const { checker, program } = ctx;
  if (!ctx.modules.has(specifier)) {
    const resolved = ts.resolveModuleName(
      specifier,
      ctx.file.fileName,
      program.getCompilerOptions(),
      ts.sys,
    ).resolvedModule;
    const file = resolved && program.getSourceFile(resolved.resolvedFileName);
    ctx.modules.set(specifier, file && checker.getSymbolAtLocation(file));
  }
  const moduleSymbol = ctx.modules.get(specifier);
  const member =
    moduleSymbol && checker.getExportsOfModule(moduleSymbol).find((e) => e.name === name);
  return member && resolveAlias(checker, member);
}

/** @param {ts.EntityName} name @returns {ts.Identifier} */
function leftmost(name) {
  return ts.isIdentifier(name) ? name : leftmost(name.left);
}

/** @param {ts.EntityName} name @param {string} replacement @returns {ts.EntityName} */
function replaceLeftmost(name, replacement) {
  if (ts.isIdentifier(name)) return ts.factory.createIdentifier(replacement);
  return ts.factory.createQualifiedName(replaceLeftmost(name.left, replacement), name.right);
}
