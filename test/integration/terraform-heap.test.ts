/**
 * The functions' heap limits: every function gets NODE_OPTIONS (--max-old-space-size and
 * --max-semi-space-size) derived from its memory in heap.tf, from node-heap.json, which lists every memory size variables.tf allows; the
 * bench (bench/heap.mjs) derives the same figure from the same file. Where a terraform binary
 * exists, heap.tf itself is evaluated offline for each memory size and compared with the bench's.
 */
import { spawnSync } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployedHeap, heapLimits, type HeapTable } from '../../bench/heap.mjs';
import { describeTerraformTier } from '../helpers/terraform-binary.js';
import {
  deployedFunctions,
  firstBody,
  loadTerraformModule,
  type TerraformModule,
} from '../helpers/terraform.js';

const ROOT = join(import.meta.dirname, '..', '..');
const TERRAFORM_DIR = join(ROOT, 'infra', 'terraform');

let module: TerraformModule;
let table: HeapTable;

beforeAll(async () => {
  module = await loadTerraformModule(TERRAFORM_DIR);
  table = JSON.parse(await readFile(join(TERRAFORM_DIR, 'node-heap.json'), 'utf8')) as HeapTable;
});

/** The memory sizes variables.tf's validation allows: the list in `contains([...], var.function_memory)`. */
function allowedMemory(): string[] {
  const validation = firstBody(module.variables.function_memory?.validation);
  const list = /contains\(\[([^\]]*)\]/.exec(String(validation.condition))?.[1] ?? '';
  return [...list.matchAll(/"([^"]+)"/g)].map((m) => m[1] ?? '');
}

describe('heap limits (static)', () => {
  it('gives every function NODE_OPTIONS from heap.tf', () => {
    const functions = deployedFunctions(module);
    expect(functions.length).toBe(4);
    for (const { instance } of functions) {
      const env = firstBody(instance.body.service_config).environment_variables as Record<string, unknown>;
      expect(env.NODE_OPTIONS, instance.name).toBe('${local.node_options}');
    }
    expect(module.locals.node_options).toBe(
      '--max-old-space-size=${local.node_heap_mib} --max-semi-space-size=${local.node_semi_space_mib}',
    );
    expect(String(module.locals.node_heap)).toContain('node-heap.json');
  });

  it('lists the MiB of exactly the memory sizes variables.tf allows, and a share below the whole', () => {
    const allowed = allowedMemory();
    expect(allowed).toContain('512Mi');
    expect(Object.keys(table.memoryMiB).sort()).toEqual([...allowed].sort());
    for (const size of allowed) {
      const [, n, unit] = /^(\d+)(Mi|Gi)$/.exec(size) ?? [];
      expect(table.memoryMiB[size], size).toBe(Number(n) * (unit === 'Gi' ? 1024 : 1));
    }
    expect(table.heapPercentOfMemory).toBeGreaterThan(0);
    expect(table.heapPercentOfMemory).toBeLessThan(100);
    // Every size gets a semi-space of at least 1 MiB (V8's minimum is below that).
    for (const size of allowed) expect(heapLimits(table, size).semiSpaceMiB, size).toBeGreaterThanOrEqual(1);
  });

  it('the bench derives the cap of the default memory, and refuses a size the table lacks', async () => {
    const heap = await deployedHeap(ROOT);
    expect(heap.memory).toBe(module.variables.function_memory?.default);
    expect(heap).toEqual({ memory: heap.memory, ...heapLimits(table, heap.memory) });
    expect(
      heapLimits({ heapPercentOfMemory: 75, semiSpaceDivisor: 64, memoryMiB: { '1Gi': 1024 } }, '1Gi'),
    ).toEqual({
      heapMiB: 768,
      semiSpaceMiB: 16,
      nodeOptions: '--max-old-space-size=768 --max-semi-space-size=16',
    });
    expect(() => heapLimits(table, '3Gi')).toThrow(/no memoryMiB for 3Gi/);
  });
});

describeTerraformTier('heap.tf evaluated by terraform (offline)', (terraform) => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'streamgate-tf-heap-'));
    for (const name of ['heap.tf', 'node-heap.json'])
      await copyFile(join(TERRAFORM_DIR, name), join(dir, name));
    // Only function_memory, with its validation, so no other variable needs a value.
    // tf.json spells a type as a bare name, where hcl2json gives `${string}`.
    const variable = { function_memory: { ...module.variables.function_memory, type: 'string' } };
    await writeFile(join(dir, 'variables.tf.json'), JSON.stringify({ variable }));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('gives the same cap as the bench for every memory size', () => {
    for (const size of allowedMemory()) {
      const result = spawnSync(terraform, ['console', `-var=function_memory=${size}`], {
        cwd: dir,
        input: 'local.node_options\n',
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1' },
      });
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout.trim()).toBe(`"${heapLimits(table, size).nodeOptions}"`);
    }
  }, 120_000);
});
