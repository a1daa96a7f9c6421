/** Types of bench/heap.mjs (plain JS so `npm run bench` needs no loader). */

export interface HeapTable {
  heapPercentOfMemory: number;
  semiSpaceDivisor: number;
  memoryMiB: Record<string, number>;
}

export interface HeapLimits {
  heapMiB: number;
  semiSpaceMiB: number;
  nodeOptions: string;
}

export function heapLimits(table: HeapTable, memory: string): HeapLimits;
export function deployedHeap(root: string): Promise<HeapLimits & { memory: string }>;
