//===- npy_fuzz.cpp - fuzzing the .npy reader ------------------------------===//
//
// This file implements the fuzz target of readNpy: the input is written to a
// scratch file (FuzzUtil.h) and read. Expected outcome: an error Status
// (DATA_LOSS or INVALID_ARGUMENT) or a tensor.
//
//===----------------------------------------------------------------------===//

#include "fuzz/FuzzUtil.h"
#include "runtime/io/Npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static weft::fuzz::ScratchFile scratch("npy", ".npy");
  auto tensor = weft::rt::readNpy(scratch.write(data, size));
  (void)tensor.isOk();
  return 0;
}
