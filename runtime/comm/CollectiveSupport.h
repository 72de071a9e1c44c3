//===- CollectiveSupport.h - what every communicator checks ------*- C++ -*-===//
//
// This file implements the declaration of the pieces the communicators share
// around the data movement itself: how a collective is named in errors, the
// checks of its arguments (dtype, permute pairs), each rank's role in a
// permute, and the split of `count` elements into one chunk per rank used by
// the host all-reduce (reduce-scatter + all-gather).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_COMM_COLLECTIVESUPPORT_H
#define WEFT_RUNTIME_COMM_COLLECTIVESUPPORT_H

#include "runtime/comm/Communicator.h"

#include <string>
#include <string_view>
#include <vector>

namespace weft::rt {

/// "all_reduce 'label' (group dp: ranks 0,1) on bf16" (no label: no quotes).
std::string collectiveRef(std::string_view collective, std::string_view label,
                          const std::string &group, proto::DType dtype);

/// "30 s", "0.3 s": a timeout as errors print it.
std::string secondsText(std::chrono::milliseconds ms);

/// "rank 3 did not reach <ref> within 30 s: it died or hangs" ("ranks 1,3"
/// for several): the error of a collective that timed out.
std::string didNotArriveMessage(const std::vector<int64_t> &missingWorldRanks,
                                const std::string &ref, std::chrono::milliseconds timeout);

/// INVALID_ARGUMENT "<ref>: ..." when `dtype` is not a valid element type.
Status checkCollectiveDtype(proto::DType dtype, const std::string &ref);

/// What one rank does in a permute.
struct PermuteRole {
  std::vector<int> sendTo; ///< targets of the pairs whose source is this rank
  int recvFrom = -1;       ///< source of the pair that targets this rank; -1: none (zeros)
};

/// Checks `pairs` (ranks within [0, n), no target twice) and returns `rank`'s
/// role; INVALID_ARGUMENT "<ref>: ..." naming the bad pair otherwise.
StatusOr<PermuteRole> permuteRole(const std::vector<SourceTarget> &pairs, int n, int rank,
                                  const std::string &ref);

/// The first element of chunk i when `count` elements are split into n
/// nearly equal chunks (chunk i is [chunkBegin(i), chunkBegin(i+1))).
size_t chunkBegin(size_t count, int n, int i);

} // namespace weft::rt

#endif // WEFT_RUNTIME_COMM_COLLECTIVESUPPORT_H
