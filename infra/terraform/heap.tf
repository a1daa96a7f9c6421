# The functions' V8 heap limits, derived from their memory (node-heap.json holds the shares and
# the MiB of each allowed function_memory). bench/heap.mjs derives the same values from the same file.
locals {
  node_heap           = jsondecode(file("${path.module}/node-heap.json"))
  node_memory_mib     = local.node_heap.memoryMiB[var.function_memory]
  node_heap_mib       = floor(local.node_memory_mib * local.node_heap.heapPercentOfMemory / 100)
  node_semi_space_mib = floor(local.node_memory_mib / local.node_heap.semiSpaceDivisor)
  node_options        = "--max-old-space-size=${local.node_heap_mib} --max-semi-space-size=${local.node_semi_space_mib}"
}
