/**
 * The one place that reads environment variables. Each variable is declared here with whether the
 * deployed functions need it, so the Terraform tests can check that every deployed one is set.
 */
export interface EnvVarSpec {
  name: string;
  /** Set by Terraform on the deployed functions. */
  deployed: boolean;
  description: string;
}

export const ENV_VARS = [
  {
    name: 'STREAMGATE_CONFIG_JSON',
    deployed: true,
    description: 'The whole config as inline JSON (Terraform renders it); wins over STREAMGATE_CONFIG.',
  },
  {
    name: 'STREAMGATE_CONFIG',
    deployed: false,
    description: 'Path of streamgate.config.json (default ./streamgate.config.json).',
  },
  {
    name: 'STREAMGATE_WEBHOOK_SECRETS',
    deployed: true,
    description: 'Comma-separated webhook HMAC keys; every key is accepted, so keys can be rotated.',
  },
  { name: 'STREAMGATE_LOG_LEVEL', deployed: true, description: 'DEBUG, INFO, WARNING or ERROR.' },
  {
    name: 'STREAMGATE_REPAIR_REPOSITORIES',
    deployed: true,
    description:
      'Comma-separated HOST/PROJECT/REPOSITORY where streaming mode "repair" may write (Terraform: repair_repositories).',
  },
  {
    name: 'NODE_ENV',
    deployed: true,
    description:
      "production: the framework's own error pages (before streamgate runs) carry no stack traces.",
  },
  {
    name: 'NODE_OPTIONS',
    deployed: true,
    description:
      "Node's own flags; Terraform sets the V8 heap cap derived from the function's memory (infra/terraform/heap.tf).",
  },
  {
    name: 'STREAMGATE_REGISTRY_OVERRIDES',
    deployed: false,
    description: 'host=url pairs mapping registry hosts to local URLs (local stack and tests).',
  },
  {
    name: 'BATCH_API_ENDPOINT',
    deployed: false,
    description: 'host:port of a Batch API stand-in, spoken to without TLS (local stack and tests).',
  },
  {
    name: 'ARTIFACT_REGISTRY_API_ENDPOINT',
    deployed: false,
    description: 'host:port of an Artifact Registry API stand-in, spoken to without TLS.',
  },
  {
    name: 'SERVICE_USAGE_API_ENDPOINT',
    deployed: false,
    description: 'host:port of a Service Usage API stand-in, spoken to without TLS.',
  },
  {
    name: 'FUNCTION_TARGET',
    deployed: false,
    description: 'The function this process serves; set by Cloud Functions and functions-framework.',
  },
  {
    name: 'PUBSUB_EMULATOR_HOST',
    deployed: false,
    description: 'host:port of a Pub/Sub emulator or stand-in.',
  },
] as const satisfies readonly EnvVarSpec[];

export type EnvVarName = (typeof ENV_VARS)[number]['name'];

/** Reads a declared variable; empty strings count as unset. */
export function readEnv(name: EnvVarName, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}
