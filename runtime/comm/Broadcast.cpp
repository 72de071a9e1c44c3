//===- Broadcast.cpp - one rank's bytes to every rank ---------------------===//
//
// This file implements broadcastBytes (Broadcast.h).
//
//===----------------------------------------------------------------------===//

#include "runtime/comm/Broadcast.h"

#include <algorithm>
#include <vector>

namespace weft::rt {

StatusOr<std::string> broadcastBytes(Communicator &comm, const std::string &bytes, int root,
                                     std::string_view label) {
  const size_t n = size_t(comm.size());
  int64_t length = int64_t(bytes.size());
  std::vector<int64_t> lengths(n);
  WEFT_RETURN_IF_ERROR(comm.allGather(&length, lengths.data(), 1, proto::I64, label));
  const size_t longest = size_t(*std::max_element(lengths.begin(), lengths.end()));
  if (longest == 0)
    return std::string();
  // Bytes travel as i32 words (every communicator moves them exactly).
  const size_t words = (longest + 3) / 4;
  std::vector<int32_t> mine(words, 0), all(words * n);
  std::copy(bytes.begin(), bytes.end(), reinterpret_cast<char *>(mine.data()));
  WEFT_RETURN_IF_ERROR(comm.allGather(mine.data(), all.data(), words, proto::I32, label));
  const char *from = reinterpret_cast<const char *>(all.data() + words * size_t(root));
  return std::string(from, from + lengths[size_t(root)]);
}

} // namespace weft::rt
