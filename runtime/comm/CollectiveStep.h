//===- CollectiveStep.h - a collective step on a communicator ----*- C++ -*-===//
//
// This file implements the declaration of runCollectiveStep: how a validated
// Executable's collective step (proto::Collective) becomes one call on the
// Communicator of its group, whatever the device (host buffers for the CPU
// program, GPU buffers for NCCL).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_COMM_COLLECTIVESTEP_H
#define WEFT_RUNTIME_COMM_COLLECTIVESTEP_H

#include "runtime/comm/Communicator.h"

#include <string_view>
#include <vector>

namespace weft::rt {

/// The communicator's ReduceOp for a proto reduction (REDUCE_SUM → kSum ...).
ReduceOp reduceOpOf(proto::ReduceOp op);

/// "all_reduce", "all_gather", "reduce_scatter", "all_to_all", "permute".
const char *collectiveKindName(proto::CollectiveKind kind);

/// The pairs of a PERMUTE, as the communicator takes them.
std::vector<SourceTarget> permutePairs(const proto::Collective &c);

/// Runs `c` (validated) on `comm` (its group) from `input` to `output`;
/// `label` (the step's) is quoted in errors.
Status runCollectiveStep(Communicator &comm, const proto::Collective &c, const void *input,
                         void *output, std::string_view label);

} // namespace weft::rt

#endif // WEFT_RUNTIME_COMM_COLLECTIVESTEP_H
