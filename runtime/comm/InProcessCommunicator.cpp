//===- InProcessCommunicator.cpp - ranks as threads of one process --------===//
//
// This file implements InProcessCommunicator. Every collective is one
// exchange():
//   1. copy this rank's input into its staging buffer, publish its address;
//   2. arrive at the group's barrier (wait for all ranks, up to timeout());
//   3. compute this rank's output from the published buffers (reductions in
//      rank order: runtime/comm/ReduceMath.h);
//   4. arrive again, so that no staging buffer changes while it is read.
// split() exchanges (color, key) with an all-gather and lets the first rank of
// each new group create its Group, which the others pick up by (split, color).
//
//===----------------------------------------------------------------------===//

#include "runtime/comm/InProcessCommunicator.h"
#include "runtime/HostTensor.h"
#include "runtime/comm/CollectiveSupport.h"
#include "runtime/comm/MeshShape.h"
#include "runtime/comm/ReduceMath.h"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <numeric>

namespace weft::rt {

struct InProcessCommunicator::Group {
  Group(std::string name, std::vector<int64_t> worldRanks)
      : name(std::move(name)), worldRanks(std::move(worldRanks)),
        present(this->worldRanks.size(), false), slots(this->worldRanks.size(), nullptr) {}

  int size() const { return static_cast<int>(worldRanks.size()); }
  std::string description() const { return name + ": ranks " + rankList(worldRanks); }

  /// Waits until every rank has arrived (step 2/4 of exchange()).
  Status arrive(int rank, const std::string &ref, std::chrono::milliseconds timeout);

  const std::string name;
  const std::vector<int64_t> worldRanks; // per group rank
  std::mutex mu;
  std::condition_variable cv;
  uint64_t generation = 0; // barriers completed
  int arrived = 0;
  std::vector<bool> present;
  std::vector<const void *> slots; // per rank: its staged input
  std::string broken;              // set when a rank timed out or abort() was called
  std::map<std::pair<uint64_t, int>, std::shared_ptr<Group>> children; // split results
};

Status InProcessCommunicator::Group::arrive(int rank, const std::string &ref,
                                            std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu);
  if (!broken.empty())
    return unavailable(ref + ": " + broken);
  const uint64_t gen = generation;
  present[static_cast<size_t>(rank)] = true;
  if (++arrived == size()) {
    arrived = 0;
    std::fill(present.begin(), present.end(), false);
    ++generation;
    cv.notify_all();
    return Status::ok();
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (generation == gen && broken.empty()) {
    if (cv.wait_until(lock, deadline) != std::cv_status::timeout)
      continue;
    if (generation != gen || !broken.empty())
      break;
    std::vector<int64_t> missing;
    for (int r = 0; r < size(); ++r)
      if (!present[static_cast<size_t>(r)])
        missing.push_back(worldRanks[static_cast<size_t>(r)]);
    broken = didNotArriveMessage(missing, ref, timeout);
    cv.notify_all();
    return unavailable(broken);
  }
  if (generation != gen)
    return Status::ok();
  return unavailable(broken.find(ref) != std::string::npos ? broken : ref + ": " + broken);
}

std::vector<std::shared_ptr<InProcessCommunicator>>
InProcessCommunicator::createGroup(int n, const std::string &name) {
  std::vector<int64_t> ranks(static_cast<size_t>(n));
  std::iota(ranks.begin(), ranks.end(), 0);
  auto group = std::make_shared<Group>(name, ranks);
  std::vector<std::shared_ptr<InProcessCommunicator>> comms;
  for (int r = 0; r < n; ++r)
    comms.push_back(std::shared_ptr<InProcessCommunicator>(new InProcessCommunicator(group, r)));
  return comms;
}

int InProcessCommunicator::size() const { return group_->size(); }

std::string InProcessCommunicator::groupName() const { return group_->description(); }

Status InProcessCommunicator::exchange(
    const std::string &ref, const void *send, size_t bytes,
    const std::function<Status(const std::vector<const void *> &)> &work) {
  staging_.resize(bytes);
  if (bytes > 0)
    std::memcpy(staging_.data(), send, bytes);
  {
    std::lock_guard<std::mutex> lock(group_->mu);
    group_->slots[static_cast<size_t>(rank_)] = staging_.data();
  }
  WEFT_RETURN_IF_ERROR(group_->arrive(rank_, ref, timeout_));
  Status st = work(group_->slots); // published before the barrier; read-only until the next
  if (!st.isOk())
    return st;
  return group_->arrive(rank_, ref, timeout_);
}

Status InProcessCommunicator::allReduce(const void *send, void *recv, size_t count,
                                        proto::DType dtype, ReduceOp op, std::string_view label) {
  std::string ref = collectiveRef("all_reduce", label, groupName(), dtype);
  WEFT_RETURN_IF_ERROR(checkCollectiveDtype(dtype, ref));
  return exchange(ref, send, count * dtypeSize(dtype), [&](const std::vector<const void *> &in) {
    return reduceInRankOrder(in.data(), size(), recv, count, dtype, op);
  });
}

Status InProcessCommunicator::gatherBlocks(const char *collective, const void *send,
                                           size_t sendBlocks, void *recv, size_t countPerRank,
                                           proto::DType dtype, bool ownBlock,
                                           std::string_view label) {
  std::string ref = collectiveRef(collective, label, groupName(), dtype);
  WEFT_RETURN_IF_ERROR(checkCollectiveDtype(dtype, ref));
  const size_t block = countPerRank * dtypeSize(dtype);
  const size_t from = ownBlock ? size_t(rank_) * block : 0;
  return exchange(ref, send, block * sendBlocks, [&](const std::vector<const void *> &in) {
    for (int r = 0; r < size(); ++r)
      std::memcpy(static_cast<char *>(recv) + r * block,
                  static_cast<const char *>(in[static_cast<size_t>(r)]) + from, block);
    return Status::ok();
  });
}

Status InProcessCommunicator::allGather(const void *send, void *recv, size_t countPerRank,
                                        proto::DType dtype, std::string_view label) {
  return gatherBlocks("all_gather", send, 1, recv, countPerRank, dtype, false, label);
}

Status InProcessCommunicator::reduceScatter(const void *send, void *recv, size_t countPerRank,
                                            proto::DType dtype, ReduceOp op,
                                            std::string_view label) {
  std::string ref = collectiveRef("reduce_scatter", label, groupName(), dtype);
  WEFT_RETURN_IF_ERROR(checkCollectiveDtype(dtype, ref));
  const size_t block = countPerRank * dtypeSize(dtype);
  return exchange(ref, send, block * size(), [&](const std::vector<const void *> &in) {
    std::vector<const void *> mine;
    for (const void *p : in)
      mine.push_back(static_cast<const char *>(p) + rank_ * block);
    return reduceInRankOrder(mine.data(), size(), recv, countPerRank, dtype, op);
  });
}

Status InProcessCommunicator::allToAll(const void *send, void *recv, size_t countPerRank,
                                       proto::DType dtype, std::string_view label) {
  return gatherBlocks("all_to_all", send, size_t(size()), recv, countPerRank, dtype, true, label);
}

Status InProcessCommunicator::permute(const void *send, void *recv, size_t count,
                                      proto::DType dtype, const std::vector<SourceTarget> &pairs,
                                      std::string_view label) {
  std::string ref = collectiveRef("permute", label, groupName(), dtype);
  WEFT_RETURN_IF_ERROR(checkCollectiveDtype(dtype, ref));
  StatusOr<PermuteRole> role = permuteRole(pairs, size(), rank_, ref);
  if (!role.isOk())
    return role.status();
  const size_t bytes = count * dtypeSize(dtype);
  const int from = role->recvFrom;
  return exchange(ref, send, bytes, [&](const std::vector<const void *> &in) {
    if (from >= 0)
      std::memcpy(recv, in[static_cast<size_t>(from)], bytes);
    else
      std::memset(recv, 0, bytes);
    return Status::ok();
  });
}

Status InProcessCommunicator::barrier(std::string_view label) {
  std::string ref = "barrier";
  if (!label.empty())
    ref += " '" + std::string(label) + "'";
  return group_->arrive(rank_, ref + " (group " + groupName() + ")", timeout_);
}

StatusOr<std::shared_ptr<Communicator>> InProcessCommunicator::split(int color, int key,
                                                                     const std::string &name) {
  if (color < 0)
    return invalidArgument("split of group " + groupName() + ": color " + std::to_string(color) +
                           " is negative");
  const int64_t mine[2] = {color, key};
  std::vector<int64_t> all(2 * static_cast<size_t>(size()));
  WEFT_RETURN_IF_ERROR(allGather(mine, all.data(), 2, proto::I64, "split"));
  // The members of this rank's new group, ordered by (key, rank here).
  std::vector<int> members;
  for (int r = 0; r < size(); ++r)
    if (all[2 * r] == color)
      members.push_back(r);
  std::stable_sort(members.begin(), members.end(),
                   [&](int a, int b) { return all[2 * a + 1] < all[2 * b + 1]; });
  const int newRank = static_cast<int>(std::find(members.begin(), members.end(), rank_) -
                                       members.begin());
  std::shared_ptr<Group> child;
  {
    std::lock_guard<std::mutex> lock(group_->mu);
    std::shared_ptr<Group> &slot = group_->children[{splits_, color}];
    if (!slot) {
      std::vector<int64_t> worldRanks;
      for (int m : members)
        worldRanks.push_back(group_->worldRanks[static_cast<size_t>(m)]);
      slot = std::make_shared<Group>(name, worldRanks);
    }
    child = slot;
  }
  ++splits_;
  // Every rank has its child group before anyone uses it.
  WEFT_RETURN_IF_ERROR(barrier("split"));
  std::shared_ptr<InProcessCommunicator> comm(new InProcessCommunicator(child, newRank));
  comm->setTimeout(timeout_);
  return std::shared_ptr<Communicator>(std::move(comm));
}

void InProcessCommunicator::abort(const std::string &message) {
  std::lock_guard<std::mutex> lock(group_->mu);
  if (group_->broken.empty())
    group_->broken = "aborted by rank " + std::to_string(group_->worldRanks[size_t(rank_)]) +
                     ": " + message;
  group_->cv.notify_all();
}

} // namespace weft::rt
