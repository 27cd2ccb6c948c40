/**
 * The secrets to open cookies with: from an environment variable (`SESSION_SECRET`, or the one
 * `--secret-env` names) or a file, never from the command line (where shell history and `ps`
 * would keep it). The text holds one secret, or several, the first being the one that seals:
 * one per line, or a JSON array of strings.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from './usage-error.js';

export function parseSecrets(text: string, from: string): string[] {
  const trimmed = text.trim();
  let secrets: string[];
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new UsageError(`${from} starts with "[" but is not a JSON array of strings`);
    }
    if (!Array.isArray(parsed) || !parsed.every((s) => typeof s === 'string')) {
      throw new UsageError(`${from} must be a JSON array of strings`);
    }
    secrets = parsed as string[];
  } else {
    secrets = trimmed.split(/\r?\n/).map((line) => line.trim());
  }
  secrets = secrets.filter((s) => s !== '');
  if (secrets.length === 0) throw new UsageError(`${from} holds no secret`);
  return secrets;
}

export function readSecrets(
  options: { secretEnv?: string; secretFile?: string },
  env: NodeJS.ProcessEnv,
): string[] {
  if (options.secretEnv !== undefined && options.secretFile !== undefined) {
    throw new UsageError('give --secret-env or --secret-file, not both');
  }
  if (options.secretFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(options.secretFile, 'utf8');
    } catch (error) {
      throw new UsageError(
        `cannot read --secret-file ${options.secretFile}: ${(error as Error).message}`,
      );
    }
    return parseSecrets(text, `the file ${options.secretFile}`);
  }
  const name = options.secretEnv ?? 'SESSION_SECRET';
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new UsageError(
      `no secret: set ${name} in the environment${options.secretEnv === undefined ? ', or use --secret-env NAME or --secret-file PATH' : ''}`,
    );
  }
  return parseSecrets(value, `the environment variable ${name}`);
}
