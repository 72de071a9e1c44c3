//===- CommBytes.h - bytes a rank sends in an Executable's collectives -*- C++ -*-===//
//
// This file implements the declaration of communicatedBytes: how many bytes
// one rank sends per run in each collective step, by the standard figures of
// the bandwidth-optimal (ring) algorithms, with n the group size and S the
// bytes of the buffer named:
//   all_reduce      2 (n-1)/n · S       S = the buffer (count elements)
//   all_gather      (n-1)/n · S_full    S_full = the output (n · count)
//   reduce_scatter  (n-1)/n · S_full    S_full = the input (n · count)
//   all_to_all      (n-1)/n · S         S = the input (n · count)
//   permute         S per pair this rank is the source of (0 when none;
//                   a pair whose source is its target sends nothing)
// The host communicators send exactly these bytes (MpiCommunicator's
// all-reduce is a reduce-scatter plus an all-gather); `weft` prints them.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_COMM_COMMBYTES_H
#define WEFT_RUNTIME_COMM_COMMBYTES_H

#include "runtime/executable.pb.h"

#include <cstdint>
#include <string>
#include <vector>

namespace weft::rt {

/// The bytes one rank sends in collective `c` of a group of `groupSize`
/// ranks, as rank `indexInGroup` (only a permute depends on it). Rounded down.
uint64_t collectiveBytes(const proto::Collective &c, int64_t groupSize, int64_t indexInGroup);

/// Per step of `exe` (validated): the bytes that `rank` (a world rank of
/// exe.mesh) sends in it during one run; 0 for steps that are not
/// collectives.
std::vector<uint64_t> communicatedBytesPerStep(const proto::Executable &exe, int64_t rank = 0);

/// The sum of communicatedBytesPerStep(exe, rank).
uint64_t communicatedBytesPerRun(const proto::Executable &exe, int64_t rank = 0);

/// One line on what a run of `exe` sends from `rank`: "1.50 MiB in 14
/// collectives (all_reduce 12, all_gather 2)"; "nothing" without collectives.
std::string describeCommunication(const proto::Executable &exe, int64_t rank = 0);

} // namespace weft::rt

#endif // WEFT_RUNTIME_COMM_COMMBYTES_H
