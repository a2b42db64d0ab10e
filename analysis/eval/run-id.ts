import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { DEFAULT_GATE } from './scorer.ts';

/** The gateway tag of the default run id when no `--gateway` is given. */
export const EMBEDDED_GATEWAY = 'embedded';

const MAX_GATEWAY_TAG = 48;

/** What the default run id is made of besides the dataset and the configurations. */
export interface RunIdOptions {
  /** `--gateway` (undefined: the embedded gateway, whose port changes on every run). */
  gateway?: string;
  /** Options that change how answers are scored; results scored differently must not share a run. */
  judge?: string;
  judgeWeight?: number;
  gate?: number;
}

/**
 * A stable short form of a gateway URL for the run id: host, port when not the scheme's default, and path,
 * with every other character turned into `_` (`http://127.0.0.1:8080/` gives `127.0.0.1_8080`); the scheme,
 * query and credentials are left out. A longer form is cut and ends with 6 hex of the URL's SHA-256.
 */
export function gatewayTag(gateway: string | undefined): string {
  if (gateway === undefined) return EMBEDDED_GATEWAY;
  const url = new URL(gateway);
  const path = url.pathname.replace(/\/+$/, '');
  const tag = `${url.hostname}${url.port ? `:${url.port}` : ''}${path}`.replace(/[^A-Za-z0-9.-]+/g, '_').replace(/^_+|_+$/g, '');
  if (tag.length <= MAX_GATEWAY_TAG) return tag;
  const hash = createHash('sha256').update(`${url.host}${path}`).digest('hex').slice(0, 6);
  return `${tag.slice(0, MAX_GATEWAY_TAG - 7)}_${hash}`;
}

/**
 * The default run id: dataset name, configurations, a hash of the dataset and the target gateway
 * (`gatewayTag`), so a rerun against the same gateway resumes and one against another gateway starts its own
 * run; scoring options that differ from their defaults (`--judge`, a non-zero `--judge-weight` with a judge,
 * `--gate` other than 0.75) are appended, so a rerun with other scoring starts its own run instead of mixing
 * scores. The id for the defaults has no scoring suffix.
 */
export function defaultRunId(datasetPath: string, datasetText: string, configs: readonly string[], options: RunIdOptions = {}): string {
  const hash = createHash('sha256').update(datasetText).digest('hex').slice(0, 8);
  const suffix: string[] = [];
  if (options.judge) {
    suffix.push(`judge_${options.judge}`);
    if (options.judgeWeight) suffix.push(`jw${options.judgeWeight}`);
  }
  if (options.gate !== undefined && options.gate !== DEFAULT_GATE) suffix.push(`gate${options.gate}`);
  const dataset = basename(datasetPath).replace(/\.jsonl$/, '');
  return [`${dataset}-${configs.join('+')}-${hash}-${gatewayTag(options.gateway)}`, ...suffix].join('-');
}
