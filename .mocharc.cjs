/**
 * Mocha's settings. `npm test` runs every spec; `npx mocha dist/spec/x.spec.js` runs only
 * the files named (a spec list here would otherwise be added to them).
 */
const named = process.argv.slice(2).some((arg) => /\.spec\.c?js$/.test(arg) && !arg.includes('*'));

module.exports = {
  spec: named ? [] : ['dist/spec/**/*.spec.js'],
  reporter: './scripts/summary-reporter.cjs',
  timeout: 30000,
  exit: true,
  'enable-source-maps': true,
};
