//===- CollectiveSupport.cpp - what every communicator checks -------------===//
//
// This file implements the shared error names, argument checks and chunking
// of the communicators (runtime/comm/CollectiveSupport.h), and the parts of
// the Communicator interface that are not virtual.
//
//===----------------------------------------------------------------------===//

#include "runtime/comm/CollectiveSupport.h"
#include "runtime/HostTensor.h"
#include "runtime/comm/MeshShape.h"

#include <cmath>
#include <cstdlib>
#include <sstream>

namespace weft::rt {

const char *reduceOpName(ReduceOp op) {
  switch (op) {
  case ReduceOp::kSum:
    return "sum";
  case ReduceOp::kMax:
    return "max";
  case ReduceOp::kMin:
    return "min";
  }
  return "?";
}

std::chrono::milliseconds Communicator::defaultCollectiveTimeout() {
  const char *v = std::getenv("WEFT_COLLECTIVE_TIMEOUT_S");
  if (v && *v) {
    char *end = nullptr;
    double seconds = std::strtod(v, &end);
    if (end && *end == '\0' && std::isfinite(seconds) && seconds > 0)
      return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000.0 + 0.5));
  }
  return std::chrono::seconds(30);
}

std::string collectiveRef(std::string_view collective, std::string_view label,
                          const std::string &group, proto::DType dtype) {
  std::string ref(collective);
  if (!label.empty())
    ref += " '" + std::string(label) + "'";
  return ref + " (group " + group + ") on " + dtypeName(dtype);
}

std::string secondsText(std::chrono::milliseconds ms) {
  std::ostringstream s;
  s << static_cast<double>(ms.count()) / 1000.0 << " s";
  return s.str();
}

std::string didNotArriveMessage(const std::vector<int64_t> &missingWorldRanks,
                                const std::string &ref, std::chrono::milliseconds timeout) {
  std::ostringstream s;
  s << (missingWorldRanks.size() == 1 ? "rank " : "ranks ") << rankList(missingWorldRanks)
    << " did not reach " << ref << " within " << secondsText(timeout) << ": " << (missingWorldRanks.size() == 1 ? "it" : "they") << " died or hang"
    << (missingWorldRanks.size() == 1 ? "s" : "");
  return s.str();
}

Status checkCollectiveDtype(proto::DType dtype, const std::string &ref) {
  if (dtypeSize(dtype) == 0)
    return invalidArgument(ref + ": invalid dtype " + std::to_string(int(dtype)));
  return Status::ok();
}

StatusOr<PermuteRole> permuteRole(const std::vector<SourceTarget> &pairs, int n, int rank,
                                  const std::string &ref) {
  PermuteRole role;
  std::vector<bool> targeted(static_cast<size_t>(n), false);
  for (size_t i = 0; i < pairs.size(); ++i) {
    const SourceTarget &p = pairs[i];
    std::string pair = "pair " + std::to_string(i) + " (" + std::to_string(p.source) + " -> " +
                       std::to_string(p.target) + ")";
    if (p.source < 0 || p.source >= n || p.target < 0 || p.target >= n)
      return invalidArgument(ref + ": " + pair + " names a rank outside the group of " +
                             std::to_string(n));
    if (targeted[static_cast<size_t>(p.target)])
      return invalidArgument(ref + ": " + pair + " targets rank " + std::to_string(p.target) +
                             ", which another pair targets too");
    targeted[static_cast<size_t>(p.target)] = true;
    if (p.source == rank)
      role.sendTo.push_back(p.target);
    if (p.target == rank)
      role.recvFrom = p.source;
  }
  return role;
}

size_t chunkBegin(size_t count, int n, int i) {
  return static_cast<size_t>((static_cast<unsigned __int128>(count) * unsigned(i)) / unsigned(n));
}

} // namespace weft::rt
