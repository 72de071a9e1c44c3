//===- ArenaLayout.cpp - arena offsets for the CPU Executable --------------===//
//
// This file implements assignArenaOffsets:
//   1. With a memory plan on @main (weft-schedule + weft-plan-memory), every
//      arena buffer takes its value's planned offset (reshape aliases and
//      parameters have none: the runtime resolves them); the plan's
//      alignment and size become the arena's. The partition walked @main in
//      op order, so its steps run in the order the plan's liveness assumed.
//      Buffers the plan cannot know (OUTPUT copies of returned arguments or
//      constants) are placed after the planned bytes.
//   2. Without a plan, every arena buffer gets fresh bytes at the next
//      aligned offset (nothing shared; any step order is safe).
//   3. Checks of what the runtime and the kernels rely on, so that a wrong
//      plan is a compile error and not wrong numbers: a GEMM's C shares no
//      byte with its A or B (BLAS reads them while writing C), and a kernel's
//      outputs share no byte with its inputs or each other, except an
//      Elementwise kernel writing exactly over one of its inputs (in place;
//      such kernels are not noalias).
//   4. For each kernel that is not noalias: which of its arguments every call
//      gives exactly the same storage (KernelEntry::sharedArgs), when all its
//      calls agree; after 3, every other pair of its arguments is disjoint or
//      only read.
//
//===----------------------------------------------------------------------===//

#include "codegen/common/Partition.h"
#include "ir/AttrNames.h"
#include "passes/memory/MemoryPlan.h"

#include <algorithm>
#include <optional>

using namespace mlir;

namespace weft::codegen {
namespace {

/// Where a buffer's bytes live: the arena (storage -1) or a parameter's or
/// state's own allocation (storage = its id), and the byte range there.
struct Place {
  int64_t storage = -1;
  uint64_t begin = 0, end = 0;
};

Place placeOf(const proto::Executable &exe, uint32_t id) {
  const proto::Buffer *b = &exe.buffers(static_cast<int>(id));
  uint64_t size = b->byte_size();
  if (b->has_alias_of())
    b = &exe.buffers(static_cast<int>(b->alias_of()));
  if (b->kind() == proto::PARAMETER || b->kind() == proto::STATE)
    return {static_cast<int64_t>(b->id()), 0, size};
  return {-1, b->arena_offset(), b->arena_offset() + size};
}

bool overlap(const Place &a, const Place &b) {
  return a.storage == b.storage && a.begin < a.end && b.begin < b.end && a.begin < b.end &&
         b.begin < a.end;
}

bool same(const Place &a, const Place &b) {
  return a.storage == b.storage && a.begin == b.begin && a.end == b.end;
}

LogicalResult conflict(const KernelPartition &p, const proto::Step &step, uint32_t written,
                       uint32_t other) {
  const proto::Executable &exe = p.executable;
  return emitError(p.main->getLoc())
         << "internal error: the arena layout puts buffer '"
         << exe.buffers(static_cast<int>(written)).name() << "', written by step '"
         << step.label() << "', on bytes of buffer '"
         << exe.buffers(static_cast<int>(other)).name()
         << "' that the step also uses; hint: run weft-plan-memory again after the last "
            "pass that changes ops, or compile without a memory plan";
}

/// Step 3 of the file comment.
LogicalResult checkSteps(const KernelPartition &p) {
  const proto::Executable &exe = p.executable;
  for (const proto::Step &step : exe.steps()) {
    if (step.has_gemm()) {
      const proto::Gemm &g = step.gemm();
      Place c = placeOf(exe, g.c());
      for (uint32_t in : {g.a(), g.b()})
        if (overlap(c, placeOf(exe, in)))
          return conflict(p, step, g.c(), in);
      continue;
    }
    if (step.has_collective()) { // the output may be the input only for an in-place all_reduce
      const proto::Collective &c = step.collective();
      Place out = placeOf(exe, c.output()), in = placeOf(exe, c.input());
      bool inPlace = c.kind() == proto::ALL_REDUCE && same(out, in);
      if (overlap(out, in) && !inPlace)
        return conflict(p, step, c.output(), c.input());
      continue;
    }
    const proto::KernelCall &call = step.kernel_call();
    const KernelEntry &kernel = p.entries[call.kernel()];
    int numArgs = call.args_size();
    int firstOutput = numArgs - static_cast<int>(kernel.numOutputs);
    for (int o = firstOutput; o < numArgs; ++o) {
      Place out = placeOf(exe, call.args(o));
      for (int i = 0; i < numArgs; ++i) {
        if (i == o)
          continue;
        Place other = placeOf(exe, call.args(i));
        bool inPlace = i < firstOutput && !kernel.noAlias && same(out, other);
        if (overlap(out, other) && !inPlace)
          return conflict(p, step, call.args(o), call.args(i));
      }
    }
  }
  return success();
}

/// Step 4 of the file comment.
void recordSharedArguments(KernelPartition &p) {
  const proto::Executable &exe = p.executable;
  std::vector<std::optional<std::vector<unsigned>>> seen(p.entries.size());
  std::vector<bool> agree(p.entries.size(), true);
  for (const proto::Step &step : exe.steps()) {
    if (!step.has_kernel_call())
      continue;
    const proto::KernelCall &call = step.kernel_call();
    const KernelEntry &kernel = p.entries[call.kernel()];
    unsigned numArgs = unsigned(call.args_size());
    if (kernel.noAlias || numArgs != kernel.numArgs) {
      agree[call.kernel()] = false;
      continue;
    }
    // An output and the arguments at its exact place form a class (3 allows
    // no other overlap with an output); each argument maps to its class's
    // lowest index, the first at that place.
    std::vector<Place> places;
    for (unsigned a = 0; a < numArgs; ++a)
      places.push_back(placeOf(exe, call.args(int(a))));
    std::vector<unsigned> shared(numArgs);
    for (unsigned a = 0; a < numArgs; ++a)
      shared[a] = a;
    for (unsigned o = numArgs - kernel.numOutputs; o < numArgs; ++o) {
      unsigned lowest = o;
      for (unsigned a = 0; a < o && lowest == o; ++a)
        if (same(places[o], places[a]))
          lowest = a;
      for (unsigned a = lowest; a < numArgs; ++a)
        if (same(places[o], places[a]))
          shared[a] = lowest;
    }
    std::optional<std::vector<unsigned>> &first = seen[call.kernel()];
    if (!first)
      first = shared;
    else if (*first != shared)
      agree[call.kernel()] = false;
  }
  for (size_t k = 0; k < p.entries.size(); ++k)
    p.entries[k].sharedArgs = agree[k] && seen[k] ? *seen[k] : std::vector<unsigned>{};
}

} // namespace

LogicalResult assignArenaOffsets(KernelPartition &partition, uint64_t minAlignment) {
  proto::Executable &exe = partition.executable;
  std::optional<MemoryPlan> plan;
  if (partition.main->hasAttr(kArenaSizeAttr)) {
    plan = readMemoryPlan(partition.main);
    if (!plan)
      return failure(); // readMemoryPlan reported why
  }
  uint64_t alignment =
      std::max<uint64_t>(minAlignment, plan ? static_cast<uint64_t>(plan->alignment) : 0);
  auto alignUp = [&](uint64_t v) { return (v + alignment - 1) / alignment * alignment; };
  uint64_t cursor = plan ? static_cast<uint64_t>(plan->arenaSize) : 0;
  for (proto::Buffer &b : *exe.mutable_buffers()) {
    if (b.kind() == proto::PARAMETER || b.kind() == proto::STATE || b.has_alias_of()) {
      b.set_arena_offset(0);
      continue;
    }
    Value v = partition.bufferValues[b.id()];
    if (plan && v) {
      auto it = plan->assignments.find(v);
      if (it == plan->assignments.end() ||
          static_cast<uint64_t>(it->second.size) != b.byte_size())
        return emitError(v.getLoc())
               << "internal error: the memory plan of @" << partition.main.getSymName()
               << (it == plan->assignments.end() ? " has no offset for buffer '"
                                                 : " gives another size to buffer '")
               << b.name() << "' (" << b.byte_size()
               << " bytes); hint: run weft-plan-memory after the last pass that changes ops";
      b.set_arena_offset(static_cast<uint64_t>(it->second.offset));
      continue;
    }
    b.set_arena_offset(alignUp(cursor));
    cursor = b.arena_offset() + b.byte_size();
  }
  exe.set_arena_size(alignUp(cursor));
  exe.set_arena_alignment(alignment);
  if (failed(checkSteps(partition)))
    return failure();
  recordSharedArguments(partition);
  return success();
}

} // namespace weft::codegen
