import { describe, expect, it } from 'vitest';
import { formatProfiles, ownerOf, summarizeProfile } from '../../bench/profile.mjs';

const profile = {
  nodes: [
    { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 } },
    {
      id: 2,
      callFrame: {
        functionName: 'Codegen',
        url: 'file:///r/node_modules/@protobufjs/codegen/index.js',
        lineNumber: 32,
      },
    },
    {
      id: 3,
      callFrame: {
        functionName: 'parse',
        url: 'file:///r/node_modules/zod/v4/core/schemas.js',
        lineNumber: 9,
      },
    },
    {
      id: 4,
      callFrame: { functionName: 'handlePush', url: 'file:///r/dist/shared/pipeline/push.js', lineNumber: 0 },
    },
    { id: 5, callFrame: { functionName: '(garbage collector)', url: '', lineNumber: -1 } },
    {
      id: 6,
      callFrame: { functionName: 'wrapSafe', url: 'node:internal/modules/cjs/loader', lineNumber: 1421 },
    },
  ],
  samples: [2, 2, 3, 4, 5, 6, 6, 6],
  timeDeltas: [1000, 1000, 500, 250, 2500, 1000, 1000, 1000],
};

describe('bench CPU profile summary', () => {
  it('names the owner of a frame: our code, the innermost package, node, V8', () => {
    expect(ownerOf('file:///r/node_modules/@grpc/grpc-js/build/src/channel.js')).toBe('@grpc/grpc-js');
    expect(ownerOf('file:///r/node_modules/a/node_modules/zod/index.js')).toBe('zod');
    expect(ownerOf('file:///r/dist/functions/index.js')).toBe('streamgate');
    expect(ownerOf('node:internal/modules/cjs/loader')).toBe('node');
    expect(ownerOf('', '(garbage collector)')).toBe('(garbage collector)');
    expect(ownerOf('', 'readFileUtf8')).toBe('node');
  });

  it('sums self time per frame and owner, largest first', () => {
    const summary = summarizeProfile(profile, { top: 2 });
    expect(summary.totalMs).toBe(8.3);
    expect(summary.frames).toEqual([
      { frame: 'wrapSafe node:internal/modules/cjs/loader:1422', owner: 'node', selfMs: 3 },
      { frame: '(garbage collector) :0', owner: '(garbage collector)', selfMs: 2.5 },
    ]);
    expect(summary.owners.map((o) => [o.owner, o.selfMs])).toEqual([
      ['node', 3],
      ['(garbage collector)', 2.5],
      ['@protobufjs/codegen', 2],
      ['zod', 0.5],
      ['streamgate', 0.3],
    ]);
  });

  it('prints ours beside the floor per owner, then our top frames', () => {
    const ours = summarizeProfile(profile);
    const floor = summarizeProfile({ ...profile, samples: [6], timeDeltas: [4000] });
    const text = formatProfiles({ onImagePush: { ours, floor } });
    expect(text).toContain(
      'CPU profile of the first event: onImagePush (self ms; process total ours 8.3, floor 4)',
    );
    expect(text).toMatch(/zod\s+ours\s+0\.5\s+floor\s+0\n/);
    expect(text).toMatch(/node\s+ours\s+3\s+floor\s+4\n/);
    expect(text).toContain('handlePush dist/shared/pipeline/push.js:1');
  });
});
