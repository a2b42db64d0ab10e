import { readFileSync } from 'node:fs';
import { formatIssues, GatewayConfig } from '../../schema/config.ts';

/** Raised when a configuration file cannot be read or is invalid; the message names every bad field. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Validates a parsed configuration object; `source` names it in error messages. */
export function parseGatewayConfig(raw: unknown, source = 'configuration'): GatewayConfig {
  const parsed = GatewayConfig.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`invalid ${source}:\n${formatIssues(parsed.error)}`);
  return parsed.data;
}

/** Reads and validates a JSON configuration file. */
export function loadGatewayConfig(path: string): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read configuration file ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`configuration file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  return parseGatewayConfig(raw, `configuration file ${path}`);
}
