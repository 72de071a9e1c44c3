//===- CollectiveStep.cpp - a collective step on a communicator -----------===//
//
// This file implements runCollectiveStep: the dispatch of a collective step's
// kind to the Communicator call with the step's count, dtype, reduction and
// permute pairs.
//
//===----------------------------------------------------------------------===//

#include "runtime/comm/CollectiveStep.h"

namespace weft::rt {

ReduceOp reduceOpOf(proto::ReduceOp op) {
  switch (op) {
  case proto::REDUCE_MAX:
    return ReduceOp::kMax;
  case proto::REDUCE_MIN:
    return ReduceOp::kMin;
  default:
    return ReduceOp::kSum;
  }
}

const char *collectiveKindName(proto::CollectiveKind kind) {
  switch (kind) {
  case proto::ALL_REDUCE:
    return "all_reduce";
  case proto::ALL_GATHER:
    return "all_gather";
  case proto::REDUCE_SCATTER:
    return "reduce_scatter";
  case proto::ALL_TO_ALL:
    return "all_to_all";
  case proto::PERMUTE:
    return "permute";
  default:
    return "invalid collective";
  }
}

std::vector<SourceTarget> permutePairs(const proto::Collective &c) {
  std::vector<SourceTarget> pairs;
  for (const proto::SourceTarget &p : c.pairs())
    pairs.push_back({static_cast<int>(p.source()), static_cast<int>(p.target())});
  return pairs;
}

Status runCollectiveStep(Communicator &comm, const proto::Collective &c, const void *input,
                         void *output, std::string_view label) {
  const size_t count = static_cast<size_t>(c.count());
  switch (c.kind()) {
  case proto::ALL_REDUCE:
    return comm.allReduce(input, output, count, c.dtype(), reduceOpOf(c.reduction()), label);
  case proto::ALL_GATHER:
    return comm.allGather(input, output, count, c.dtype(), label);
  case proto::REDUCE_SCATTER:
    return comm.reduceScatter(input, output, count, c.dtype(), reduceOpOf(c.reduction()), label);
  case proto::ALL_TO_ALL:
    return comm.allToAll(input, output, count, c.dtype(), label);
  case proto::PERMUTE:
    return comm.permute(input, output, count, c.dtype(), permutePairs(c), label);
  default:
    break;
  }
  return internalError("collective of kind " + std::to_string(int(c.kind())) +
                       " (not validated?)");
}

} // namespace weft::rt
