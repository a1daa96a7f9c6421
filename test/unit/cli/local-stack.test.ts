import { describe, expect, it } from 'vitest';
import { optionalStackValue } from '../../../cli/local-stack.js';
import { localStackEnv } from '../../../infra/local/stack-config.js';

describe('--stack [FILE]', () => {
  it('alone means the default file, before an image reference or another option', () => {
    expect(optionalStackValue(['--stack', 'us-docker.pkg.dev/p/r/app:v1'])).toEqual([
      '--stack=',
      'us-docker.pkg.dev/p/r/app:v1',
    ]);
    expect(optionalStackValue(['ref', '--stack', '--json'])).toEqual(['ref', '--stack=', '--json']);
    expect(optionalStackValue(['ref', '--stack'])).toEqual(['ref', '--stack=']);
  });

  it('takes a following .json file, or --stack=FILE as given', () => {
    expect(optionalStackValue(['--stack', 'my/stack.json', 'ref'])).toEqual(['--stack=my/stack.json', 'ref']);
    expect(optionalStackValue(['--stack=other', 'ref'])).toEqual(['--stack=other', 'ref']);
  });

  it('leaves everything after -- alone', () => {
    expect(optionalStackValue(['--', '--stack'])).toEqual(['--', '--stack']);
  });
});

describe('localStackEnv', () => {
  it('points every client at the stack, the registry host through an override', () => {
    expect(
      localStackEnv({
        project: 'demo-project',
        registryHost: 'us-central1-docker.pkg.dev',
        registry: 'http://127.0.0.1:5001',
        artifactRegistry: '127.0.0.1:5003',
        batch: '127.0.0.1:5002',
        pubsub: '127.0.0.1:5004',
      }),
    ).toEqual({
      BATCH_API_ENDPOINT: '127.0.0.1:5002',
      PUBSUB_EMULATOR_HOST: '127.0.0.1:5004',
      ARTIFACT_REGISTRY_API_ENDPOINT: '127.0.0.1:5003',
      SERVICE_USAGE_API_ENDPOINT: '127.0.0.1:5003',
      STREAMGATE_REGISTRY_OVERRIDES: 'us-central1-docker.pkg.dev=http://127.0.0.1:5001',
      METADATA_SERVER_DETECTION: 'none',
      GOOGLE_CLOUD_PROJECT: 'demo-project',
    });
  });
});
