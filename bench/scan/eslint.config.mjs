// A small ESLint rule set comparable in scope to crabport's (dynamic code,
// reflection, mutation-adjacent rules), with the TypeScript parser so .ts
// files parse. Used only by bench/scan/run.sh.
import tsParser from "@typescript-eslint/parser";

export default [
  {
    files: ["**/*.{ts,tsx,mts,cts,js,jsx,mjs,cjs}"],
    languageOptions: { parser: tsParser, ecmaVersion: "latest", sourceType: "module" },
    linterOptions: { reportUnusedDisableDirectives: "off" },
    rules: {
      "no-eval": "warn",
      "no-implied-eval": "warn",
      "no-new-func": "warn",
      "no-with": "warn",
      "no-proto": "warn",
      "no-extend-native": "warn",
      "no-global-assign": "warn",
      "no-param-reassign": "warn",
      "no-empty": "warn",
      "no-throw-literal": "warn",
    },
  },
];
