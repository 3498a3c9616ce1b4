/**
 * `--name value` (or `--name=value`) flags of the scripts, read without a
 * flag parser: each script names its few flags and their defaults.
 *
 * @module
 */

/** `--name value` flags of a script: `flag(args, "seconds", "60")`. */
export function flag(args: readonly string[], name: string, fallback: string): string {
  const at = args.indexOf(`--${name}`);
  if (at !== -1 && at + 1 < args.length) return args[at + 1];
  const inline = args.find((arg) => arg.startsWith(`--${name}=`));
  return inline === undefined ? fallback : inline.slice(name.length + 3);
}
