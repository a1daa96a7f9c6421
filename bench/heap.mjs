/**
 * The heap limits the functions are deployed with, so the bench runs them the same way: the share and
 * the MiB per memory size come from infra/terraform/node-heap.json (which heap.tf reads too), the
 * memory from the default of `function_memory` in infra/terraform/variables.tf.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';

/**
 * heap.tf's derivation: old space floor(memoryMiB[memory] × heapPercentOfMemory / 100), semi-space
 * floor(memoryMiB[memory] / semiSpaceDivisor), and the NODE_OPTIONS they make. Throws for a memory
 * size the table does not list (Terraform would fail the same way).
 *
 * @example
 *   heapLimits({ heapPercentOfMemory: 50, semiSpaceDivisor: 64, memoryMiB: { '512Mi': 512 } }, '512Mi')
 *   // { heapMiB: 256, semiSpaceMiB: 8, nodeOptions: '--max-old-space-size=256 --max-semi-space-size=8' }
 */
export function heapLimits(table, memory) {
  const mib = table.memoryMiB[memory];
  if (typeof mib !== 'number') throw new Error(`node-heap.json has no memoryMiB for ${memory}`);
  const heapMiB = Math.floor((mib * table.heapPercentOfMemory) / 100);
  const semiSpaceMiB = Math.floor(mib / table.semiSpaceDivisor);
  return {
    heapMiB,
    semiSpaceMiB,
    nodeOptions: `--max-old-space-size=${heapMiB} --max-semi-space-size=${semiSpaceMiB}`,
  };
}

/** `{ memory, heapMiB, semiSpaceMiB, nodeOptions }` for the default function_memory of the Terraform module. */
export async function deployedHeap(root) {
  const dir = join(root, 'infra', 'terraform');
  const table = JSON.parse(await readFile(join(dir, 'node-heap.json'), 'utf8'));
  const variables = await parse('variables.tf', await readFile(join(dir, 'variables.tf'), 'utf8'));
  const memory = variables.variable?.function_memory?.[0]?.default;
  if (typeof memory !== 'string') throw new Error('variables.tf has no default for function_memory');
  return { memory, ...heapLimits(table, memory) };
}
