// Tokenizes every .sgl file of the repository with the extension's TextMate grammar
// (vscode-textmate + vscode-oniguruma, the engine VS Code uses) and checks that
//  - no token is marked invalid (every file of the repository is valid SGL, except the
//    conformance corpus of syntax errors, which is skipped);
//  - keywords, strings, numbers, comments, triggers and types get their scopes, on a sample;
//  - every kind of lexeme the sample names is covered at least once across the repository.
// Run: npm test (in editors/vscode, after npm install). Exit code 1 on any failure.
"use strict";

const fs = require("fs");
const path = require("path");
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const ROOT = path.resolve(__dirname, "..", "..", "..");
const GRAMMAR = path.join(__dirname, "..", "syntaxes", "sgl.tmLanguage.json");
const SKIP = path.join(ROOT, "tests", "conformance", "syntax_errors");

async function loadGrammar() {
  const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm")).buffer;
  await oniguruma.loadWASM(wasm);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName) =>
      scopeName === "source.sgl"
        ? vsctm.parseRawGrammar(fs.readFileSync(GRAMMAR, "utf8"), GRAMMAR)
        : null,
  });
  return registry.loadGrammar("source.sgl");
}

function tokenize(grammar, text) {
  const out = [];
  let stack = vsctm.INITIAL;
  text.split("\n").forEach((line, index) => {
    const result = grammar.tokenizeLine(line, stack);
    for (const t of result.tokens) {
      out.push({ line: index + 1, text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes });
    }
    stack = result.ruleStack;
  });
  return out;
}

function sglFiles(dir, found = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === "node_modules" || entry.name === ".git" || p === SKIP) continue;
      sglFiles(p, found);
    } else if (entry.name.endsWith(".sgl")) {
      found.push(p);
    }
  }
  return found;
}

const SAMPLE = [
  "use std.math as m",
  "record Item:",
  '    """One line."""',
  "    qty: Int? = None",
  "",
  '@when("total of {items}")',
  '@when(re"(?P<n>\\d+) items")',
  "proc total(items: List[Item], n: Int = 0x1F) -> Decimal:",
  "    # a comment",
  '    label = f"{items[0].qty!r:>10} {{x}}"',
  "    if label is not None and 1.5e3 >= .5:",
  '        return Decimal("1.0")',
  '    fail "no"',
  "",
  "example total([]) == 0",
  "property positive(record: Int):",
  "    require record >= 0",
].join("\n");

// lexeme -> a scope its token must carry
const EXPECTED = [
  ["use", "keyword.control.import.sgl"],
  ["std.math", "entity.name.namespace.sgl"],
  ["record", "storage.type.record.sgl"],
  ["Item", "entity.name.type.record.sgl"],
  ["One line.", "string.quoted.triple.sgl"],
  ["Int", "support.type.sgl"],
  ["None", "constant.language.sgl"],
  ["when", "entity.name.function.decorator.sgl"],
  ["{items}", "variable.parameter.slot.sgl"],
  ["re", "storage.type.string.sgl"],
  ["proc", "storage.type.function.sgl"],
  ["total", "entity.name.function.sgl"],
  ["0x1F", "constant.numeric.hex.sgl"],
  ["# a comment", "comment.line.number-sign.sgl"],
  ["f", "storage.type.string.sgl"],
  [":>10", "constant.other.format-spec.sgl"],
  ["{{", "constant.character.escape.sgl"],
  ["if", "keyword.control.sgl"],
  ["is", "keyword.operator.logical.sgl"],
  ["1.5e3", "constant.numeric.float.sgl"],
  [".5", "constant.numeric.float.sgl"],
  ["return", "keyword.control.sgl"],
  ["fail", "keyword.control.sgl"],
  ["example", "keyword.other.declaration.sgl"],
  ["property", "storage.type.function.sgl"],
  ["require", "keyword.control.sgl"],
  ["0", "constant.numeric.integer.sgl"],
];

async function main() {
  const grammar = await loadGrammar();
  const failures = [];

  const sample = tokenize(grammar, SAMPLE);
  for (const [lexeme, scope] of EXPECTED) {
    const token = sample.find((t) => t.text === lexeme && t.scopes.includes(scope));
    if (!token) {
      const seen = sample.filter((t) => t.text === lexeme).map((t) => t.scopes.join(" "));
      failures.push(`sample: ${JSON.stringify(lexeme)} is not ${scope} (got: ${seen.join(" | ") || "no such token"})`);
    }
  }
  // The invalid-token check below can fail: what SGL rejects is marked invalid.
  for (const bad of ["def f(x):", "x = `y`", "import os", "x = $"]) {
    if (!tokenize(grammar, bad).some((t) => t.scopes.some((s) => s.startsWith("invalid")))) {
      failures.push(`${JSON.stringify(bad)} has no invalid token: the invalid-token check would see nothing`);
    }
  }
  // `record` as a parameter name is a variable, not the declaration keyword.
  if (sample.some((t) => t.line === 16 && t.text === "record" && t.scopes.includes("storage.type.record.sgl"))) {
    failures.push("sample: `record` as a parameter name is scoped as the keyword");
  }

  const files = sglFiles(ROOT);
  const covered = new Set();
  for (const file of files) {
    const tokens = tokenize(grammar, fs.readFileSync(file, "utf8"));
    for (const t of tokens) {
      for (const s of t.scopes) covered.add(s);
      if (t.scopes.some((s) => s.startsWith("invalid"))) {
        failures.push(`${path.relative(ROOT, file)}:${t.line}: invalid token ${JSON.stringify(t.text)}`);
      }
    }
  }
  for (const [, scope] of EXPECTED) {
    if (!covered.has(scope)) failures.push(`no file of the repository has a ${scope} token`);
  }

  if (files.length < 50) failures.push(`only ${files.length} .sgl files found under ${ROOT}`);
  if (failures.length) {
    console.error(failures.slice(0, 50).join("\n"));
    console.error(`${failures.length} failure(s)`);
    process.exit(1);
  }
  const scopes = [...covered].filter((s) => s !== "source.sgl").length;
  console.log(`ok: ${files.length} files tokenized, no invalid token; ${EXPECTED.length} sample checks; ` +
    `${scopes} scopes in use`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
