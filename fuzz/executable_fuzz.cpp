//===- executable_fuzz.cpp - fuzzing the Executable loader -----------------===//
//
// This file implements the fuzz target of Executable::fromBytes: the framing
// checks, the protobuf parse and validate(). An input starting with 'W' is a
// whole file image; any other input is a payload that the harness frames with
// a correct checksum (FuzzUtil.h). Expected outcome: an error Status. An
// executable that loads must also survive toBytes() and load again.
//
//===----------------------------------------------------------------------===//

#include "fuzz/FuzzUtil.h"
#include "runtime/Executable.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string image = weft::fuzz::fileImage(
      std::string_view(reinterpret_cast<const char *>(data), size), weft::rt::kExecutableMagic);
  auto exe = weft::rt::Executable::fromBytes(image, "<fuzz>");
  if (!exe.isOk())
    return 0;
  auto again = weft::rt::Executable::fromBytes(exe->toBytes(), "<fuzz round trip>");
  if (!again.isOk())
    weft::fuzz::fail("executable", "a loaded executable does not load again after toBytes(): " +
                                       again.status().message());
  return 0;
}
