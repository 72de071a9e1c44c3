//===- Broadcast.h - one rank's bytes to every rank --------------*- C++ -*-===//
//
// This file declares broadcastBytes: a buffer of any length known to one rank
// (a compiled Executable) given to every rank of a communicator, built from
// two all_gathers (the lengths, then the bytes padded to the longest), so
// every Communicator provides it.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_COMM_BROADCAST_H
#define WEFT_RUNTIME_COMM_BROADCAST_H

#include "runtime/comm/Communicator.h"

#include <string>

namespace weft::rt {

/// Every rank of `comm` calls it; returns rank `root`'s `bytes` (others pass
/// anything, e.g. an empty string). `label` names it in errors.
StatusOr<std::string> broadcastBytes(Communicator &comm, const std::string &bytes, int root,
                                     std::string_view label);

} // namespace weft::rt

#endif // WEFT_RUNTIME_COMM_BROADCAST_H
