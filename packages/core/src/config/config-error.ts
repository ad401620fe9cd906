import { InvalidInputError } from '@repscope/models';
import { ConfigPath, SourceLocation, displayPath, formatLocation } from './location';

export interface ConfigIssue {
  location?: SourceLocation;
  path: ConfigPath;
  message: string;
  /** Stable machine-readable code, e.g. E_CONFIG_UNKNOWN_KEY. */
  code: string;
  /** Prefix for sweep jobs: which job the problem belongs to. */
  context?: string;
}

/** `configs/x.yaml:12:5 optimizer.lr: must be > 0 (got -1)` — location first, then path, then what. */
export function formatIssue(issue: ConfigIssue): string {
  const where = formatLocation(issue.location);
  const head = [issue.context, where].filter(Boolean).join(' ');
  if (!issue.path.length) return head ? `${head}${issue.location?.line === undefined ? ':' : ''} ${issue.message}` : issue.message;
  return `${head ? head + ' ' : ''}${displayPath(issue.path)}: ${issue.message}`;
}

/** Every problem found in a config, reported together so a person fixes them in one pass. */
export class ConfigError extends InvalidInputError {
  constructor(readonly issues: ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'), issues[0]?.code ?? 'E_CONFIG');
    this.name = 'ConfigError';
  }
}
