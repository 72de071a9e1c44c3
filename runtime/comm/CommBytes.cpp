//===- CommBytes.cpp - bytes a rank sends in an Executable's collectives --===//
//
// This file implements the ring-algorithm byte counts of CommBytes.h.
//
//===----------------------------------------------------------------------===//

#include "runtime/comm/CommBytes.h"

#include "runtime/HostTensor.h"
#include "runtime/MemoryNeeds.h"
#include "runtime/comm/CollectiveStep.h"
#include "runtime/comm/MeshShape.h"

#include <map>

namespace weft::rt {

uint64_t collectiveBytes(const proto::Collective &c, int64_t groupSize, int64_t indexInGroup) {
  const unsigned __int128 n = static_cast<uint64_t>(groupSize);
  const unsigned __int128 block = static_cast<unsigned __int128>(c.count()) * dtypeSize(c.dtype());
  if (n == 0)
    return 0;
  switch (c.kind()) {
  case proto::ALL_REDUCE:
    return static_cast<uint64_t>(2 * (n - 1) * block / n);
  case proto::ALL_GATHER:
  case proto::REDUCE_SCATTER:
  case proto::ALL_TO_ALL:
    return static_cast<uint64_t>((n - 1) * block); // (n-1)/n of n blocks
  case proto::PERMUTE: {
    uint64_t sends = 0;
    for (const proto::SourceTarget &p : c.pairs())
      if (p.source() == static_cast<uint64_t>(indexInGroup) && p.source() != p.target())
        ++sends;
    return static_cast<uint64_t>(block * sends);
  }
  default:
    return 0;
  }
}

std::vector<uint64_t> communicatedBytesPerStep(const proto::Executable &exe, int64_t rank) {
  std::vector<uint64_t> bytes(static_cast<size_t>(exe.steps_size()), 0);
  StatusOr<MeshShape> mesh = MeshShape::fromProto(exe.mesh());
  if (!mesh.isOk())
    return bytes;
  for (int s = 0; s < exe.steps_size(); ++s) {
    if (!exe.steps(s).has_collective())
      continue;
    const proto::Collective &c = exe.steps(s).collective();
    std::vector<int> axes(c.axes().begin(), c.axes().end());
    bytes[static_cast<size_t>(s)] =
        collectiveBytes(c, mesh->groupSize(axes), mesh->indexInGroup(rank, axes));
  }
  return bytes;
}

uint64_t communicatedBytesPerRun(const proto::Executable &exe, int64_t rank) {
  uint64_t total = 0;
  for (uint64_t b : communicatedBytesPerStep(exe, rank))
    total += b;
  return total;
}

std::string describeCommunication(const proto::Executable &exe, int64_t rank) {
  std::map<std::string, int> kinds;
  int collectives = 0;
  for (const proto::Step &s : exe.steps())
    if (s.has_collective()) {
      ++kinds[collectiveKindName(s.collective().kind())];
      ++collectives;
    }
  if (collectives == 0)
    return "nothing";
  std::string text = formatBytes(communicatedBytesPerRun(exe, rank)) + " in " +
                     std::to_string(collectives) + " collectives (";
  bool first = true;
  for (const auto &[kind, count] : kinds) {
    text += (first ? "" : ", ") + kind + " " + std::to_string(count);
    first = false;
  }
  return text + ")";
}

} // namespace weft::rt
