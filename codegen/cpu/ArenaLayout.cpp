//===- ArenaLayout.cpp - arena offsets for the CPU Executable --------------===//
//
// This file implements the arena layout used until memory planning exists:
// every arena buffer gets fresh bytes at the next aligned offset, so buffers
// never share storage and any step order is safe.
//
//===----------------------------------------------------------------------===//

#include "codegen/cpu/Partition.h"

namespace weft::codegen {

void assignArenaOffsets(proto::Executable &exe, uint64_t alignment) {
  auto alignUp = [&](uint64_t v) { return (v + alignment - 1) / alignment * alignment; };
  uint64_t cursor = 0;
  for (proto::Buffer &b : *exe.mutable_buffers()) {
    if (b.kind() == proto::PARAMETER || b.has_alias_of()) {
      b.set_arena_offset(0);
      continue;
    }
    b.set_arena_offset(alignUp(cursor));
    cursor = b.arena_offset() + b.byte_size();
  }
  exe.set_arena_size(alignUp(cursor));
  exe.set_arena_alignment(alignment);
}

} // namespace weft::codegen
