/** Types of bench/heap.mjs (plain JS so `npm run bench` needs no loader). */

export interface HeapTable {
  heapPercentOfMemory: number;
  memoryMiB: Record<string, number>;
}

export function heapMiB(table: HeapTable, memory: string): number;
export function deployedHeap(root: string): Promise<{ memory: string; heapMiB: number; nodeOptions: string }>;
