// The inquirer prompts sgn uses (confirm, select, and input for an MFA code), imported by name so that the bundle holds only these: a
// dynamic `import('@inquirer/prompts')` keeps every prompt of the package, the editor prompt's
// iconv-lite and chardet included (half a megabyte of the package). Loaded only when prompting.
export { confirm, input, select } from '@inquirer/prompts';
