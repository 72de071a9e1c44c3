//===- CollectiveCost.h - the time of a collective on a mesh axis -*- C++ -*-===//
//
// This file declares the alpha-beta model of collectives that the strategy
// search and the plan report use: a collective over a group of n devices
// costs steps x latency + bytes on the wire / bandwidth, with the ring
// formulas NCCL and MPI use for large messages (S = the whole buffer's bytes):
//   all_reduce      2(n-1) steps, 2(n-1)/n S per device
//   all_gather      (n-1) steps, (n-1)/n S  (S = the gathered result)
//   reduce_scatter  (n-1) steps, (n-1)/n S  (S = the input)
//   all_to_all      (n-1) steps, (n-1)/n S  (S = one device's buffer)
//   permute         1 step, S
// Every step but a permute's moves a chunk of S / n. A link with a measured
// step-time curve for the collective (ClusterSpec.h, written by `weft
// calibrate`) prices it as steps x step_seconds(S / n), the curve read in
// log-log space between its measured chunks and at the last chunk's bandwidth
// beyond them: a piecewise model in place of one latency and bandwidth for
// all sizes (small messages pay per-message costs, large ones the memory
// system's bandwidth, and one line fits neither end).
// The link is the topology's intra-node link when the group's devices lie in
// one node, else the inter-node link (the slowest link of a ring sets its
// pace). A group is described by the mesh: ranks are numbered row-major over
// the axes (the last axis fastest), so a group along axes A spans the ranks
// whose coordinates differ only on A.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_COST_COLLECTIVECOST_H
#define WEFT_COST_COLLECTIVECOST_H

#include "cost/ClusterSpec.h"

#include <cstdint>
#include <string>
#include <vector>

namespace weft::cost {

/// A mesh's axes, major to minor: names and sizes.
struct MeshAxes {
  std::vector<std::string> names;
  std::vector<int64_t> sizes;
  int64_t devices() const;
  /// The index of `name`, or -1.
  int indexOf(const std::string &name) const;
};

/// The number of devices in one group of `axes` (the product of their sizes).
int64_t groupSize(const MeshAxes &mesh, const std::vector<std::string> &axes);

/// Whether a group along `axes` stays inside one node of `topology`: the span
/// of ranks it covers (row-major numbering) fits in devicesPerNode and does
/// not cross a node boundary.
bool groupWithinNode(const MeshAxes &mesh, const std::vector<std::string> &axes,
                     const Topology &topology);

/// Bytes one device sends for `kind` over a group of n devices (the wire
/// bytes of the ring formulas above); 0 when n == 1.
double wireBytes(CollectiveKind kind, int64_t n, double bytes);

/// The steps of `kind`'s ring over n devices (0 when n == 1).
int64_t collectiveSteps(CollectiveKind kind, int64_t n);

/// Seconds for `kind` over the group along `axes` with S = `bytes`; 0 when
/// the group has one device.
double collectiveSeconds(CollectiveKind kind, double bytes, const MeshAxes &mesh,
                         const std::vector<std::string> &axes, const Topology &topology);

/// Seconds for `kind` over `n` devices on `link` with S = `bytes` (what
/// collectiveSeconds computes once it knows the group's size and link).
double linkSeconds(CollectiveKind kind, double bytes, int64_t n, const Link &link);

const char *collectiveName(CollectiveKind kind);

} // namespace weft::cost

#endif // WEFT_COST_COLLECTIVECOST_H
