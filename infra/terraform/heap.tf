# The functions' V8 heap cap, derived from their memory (node-heap.json holds the share and the MiB
# of each allowed function_memory). bench/heap.mjs derives the same value from the same file.
locals {
  node_heap     = jsondecode(file("${path.module}/node-heap.json"))
  node_heap_mib = floor(local.node_heap.memoryMiB[var.function_memory] * local.node_heap.heapPercentOfMemory / 100)
  node_options  = "--max-old-space-size=${local.node_heap_mib}"
}
