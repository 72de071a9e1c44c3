//===- safetensors_fuzz.cpp - fuzzing the safetensors reader ---------------===//
//
// This file implements the fuzz target of SafetensorsFile: the input is
// written to a scratch file (FuzzUtil.h), opened, and every tensor it names
// is described (info) and read. Expected outcome: an error Status from open().
// Once open() succeeds the header is promised valid, so info() of a listed
// name must succeed and read() may fail only with DATA_LOSS for a BOOL byte
// that is neither 0 nor 1.
//
//===----------------------------------------------------------------------===//

#include "fuzz/FuzzUtil.h"
#include "runtime/io/Safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static weft::fuzz::ScratchFile scratch("safetensors", ".safetensors");
  auto file = weft::rt::SafetensorsFile::open(scratch.write(data, size));
  if (!file.isOk())
    return 0;
  for (const std::string &name : file->names()) {
    auto info = file->info(name);
    if (!info.isOk())
      weft::fuzz::fail("safetensors", "info() of listed tensor '" + name +
                                          "' failed: " + info.status().message());
    auto tensor = file->read(name);
    if (!tensor.isOk() && !(info->dtype == weft::proto::I1 &&
                            tensor.status().code() == weft::rt::StatusCode::kDataLoss))
      weft::fuzz::fail("safetensors", "read() of listed tensor '" + name +
                                          "' failed: " + tensor.status().message());
  }
  return 0;
}
