//===- CollectiveCost.cpp - alpha-beta time of collectives ----------------===//
//
// This file implements the collective formulas of CollectiveCost.h and the
// test of whether a group of mesh axes stays inside one node.
//
//===----------------------------------------------------------------------===//

#include "cost/CollectiveCost.h"

#include <algorithm>

namespace weft::cost {

int64_t MeshAxes::devices() const {
  int64_t n = 1;
  for (int64_t s : sizes)
    n *= s;
  return n;
}

int MeshAxes::indexOf(const std::string &name) const {
  auto it = std::find(names.begin(), names.end(), name);
  return it == names.end() ? -1 : int(it - names.begin());
}

int64_t groupSize(const MeshAxes &mesh, const std::vector<std::string> &axes) {
  int64_t n = 1;
  for (const std::string &a : axes)
    if (int i = mesh.indexOf(a); i >= 0)
      n *= mesh.sizes[i];
  return n;
}

bool groupWithinNode(const MeshAxes &mesh, const std::vector<std::string> &axes,
                     const Topology &topology) {
  // Each rank's group is found by zeroing its coordinates on `axes`; the
  // group lies in one node when every rank shares its node with that base.
  const int64_t perNode = std::max(1, topology.devicesPerNode);
  std::vector<int64_t> strides(mesh.sizes.size(), 1);
  for (int i = int(mesh.sizes.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * mesh.sizes[i + 1];
  for (int64_t rank = 0, n = mesh.devices(); rank < n; ++rank) {
    int64_t base = rank;
    for (const std::string &a : axes)
      if (int i = mesh.indexOf(a); i >= 0)
        base -= (rank / strides[i]) % mesh.sizes[i] * strides[i];
    if (base / perNode != rank / perNode)
      return false;
  }
  return true;
}

double wireBytes(CollectiveKind kind, int64_t n, double bytes) {
  if (n <= 1)
    return 0;
  double share = double(n - 1) / double(n) * bytes;
  switch (kind) {
  case CollectiveKind::AllReduce:
    return 2 * share;
  case CollectiveKind::AllGather:
  case CollectiveKind::ReduceScatter:
  case CollectiveKind::AllToAll:
    return share;
  case CollectiveKind::Permute:
    return bytes;
  }
  return 0;
}

int64_t collectiveSteps(CollectiveKind kind, int64_t n) {
  if (n <= 1)
    return 0;
  switch (kind) {
  case CollectiveKind::AllReduce:
    return 2 * (n - 1);
  case CollectiveKind::Permute:
    return 1;
  default:
    return n - 1;
  }
}

double collectiveSeconds(CollectiveKind kind, double bytes, const MeshAxes &mesh,
                         const std::vector<std::string> &axes, const Topology &topology) {
  int64_t n = groupSize(mesh, axes);
  if (n <= 1)
    return 0;
  return linkSeconds(kind, bytes, n, groupWithinNode(mesh, axes, topology) ? topology.intraNode : topology.interNode);
}

double linkSeconds(CollectiveKind kind, double bytes, int64_t n, const Link &link) {
  if (n <= 1)
    return 0;
  if (!link.stepSeconds.empty() && kind != CollectiveKind::Permute)
    if (auto it = link.stepSeconds.find(kind); it != link.stepSeconds.end()) // measured: steps x step(S / n)
      return double(collectiveSteps(kind, n)) * it->second.at(bytes / double(n), AboveLast::Proportional);
  return double(collectiveSteps(kind, n)) * link.latencySeconds + wireBytes(kind, n, bytes) / link.bandwidth;
}

const char *collectiveName(CollectiveKind kind) {
  switch (kind) {
  case CollectiveKind::AllReduce:
    return "all_reduce";
  case CollectiveKind::AllGather:
    return "all_gather";
  case CollectiveKind::ReduceScatter:
    return "reduce_scatter";
  case CollectiveKind::AllToAll:
    return "all_to_all";
  case CollectiveKind::Permute:
    return "permute";
  }
  return "?";
}

} // namespace weft::cost
