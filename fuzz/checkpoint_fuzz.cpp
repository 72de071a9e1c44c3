//===- checkpoint_fuzz.cpp - fuzzing the checkpoint loader -----------------===//
//
// This file implements the fuzz target of checkpointFromBytes: the framing
// checks, the protobuf parse, the damaged-tensor report of a checksum mismatch
// and the format version (no restore into an Executor). An input starting
// with 'W' is a whole file image; any other input is a payload that the
// harness frames with a correct checksum (FuzzUtil.h). Expected outcome: an
// error Status. A checkpoint that loads must also survive checkpointToBytes()
// and load again.
//
//===----------------------------------------------------------------------===//

#include "fuzz/FuzzUtil.h"
#include "runtime/io/Checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static constexpr char kMagic[8] = {'W', 'E', 'F', 'T', 'C', 'K', 'P', 'T'};
  std::string image =
      weft::fuzz::fileImage(std::string_view(reinterpret_cast<const char *>(data), size), kMagic);
  auto checkpoint = weft::rt::checkpointFromBytes(image, "<fuzz>");
  if (!checkpoint.isOk())
    return 0;
  auto again =
      weft::rt::checkpointFromBytes(weft::rt::checkpointToBytes(*checkpoint), "<fuzz round trip>");
  if (!again.isOk())
    weft::fuzz::fail("checkpoint", "a loaded checkpoint does not load again after "
                                   "checkpointToBytes(): " + again.status().message());
  return 0;
}
