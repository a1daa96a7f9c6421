/**
 * The heap cap the functions are deployed with, so the bench runs them the same way: the share and
 * the MiB per memory size come from infra/terraform/node-heap.json (which heap.tf reads too), the
 * memory from the default of `function_memory` in infra/terraform/variables.tf.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';

/**
 * heap.tf's derivation: floor(memoryMiB[memory] × heapPercentOfMemory / 100). Throws for a memory
 * size the table does not list (Terraform would fail the same way).
 *
 * @example heapMiB({ heapPercentOfMemory: 50, memoryMiB: { '512Mi': 512 } }, '512Mi') // 256
 */
export function heapMiB(table, memory) {
  const mib = table.memoryMiB[memory];
  if (typeof mib !== 'number') throw new Error(`node-heap.json has no memoryMiB for ${memory}`);
  return Math.floor((mib * table.heapPercentOfMemory) / 100);
}

/** `{ memory, heapMiB, nodeOptions }` for the default function_memory of the Terraform module. */
export async function deployedHeap(root) {
  const dir = join(root, 'infra', 'terraform');
  const table = JSON.parse(await readFile(join(dir, 'node-heap.json'), 'utf8'));
  const variables = await parse('variables.tf', await readFile(join(dir, 'variables.tf'), 'utf8'));
  const memory = variables.variable?.function_memory?.[0]?.default;
  if (typeof memory !== 'string') throw new Error('variables.tf has no default for function_memory');
  const cap = heapMiB(table, memory);
  return { memory, heapMiB: cap, nodeOptions: `--max-old-space-size=${cap}` };
}
