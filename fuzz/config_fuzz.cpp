//===- config_fuzz.cpp - fuzzing the GPT-2 config.json reader --------------===//
//
// This file implements the fuzz target of Gpt2Config::fromJsonText followed by
// validate(). Expected outcome: a config or a std::exception (DslError naming
// the key); anything else escaping is uncaught and ends the process, which
// the fuzzer records.
//
//===----------------------------------------------------------------------===//

#include "models/Gpt2.h"

#include <cstdint>
#include <exception>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  try {
    auto config = weft::models::Gpt2Config::fromJsonText(
        std::string(reinterpret_cast<const char *>(data), size), "<fuzz>");
    config.validate("<fuzz>");
  } catch (const std::exception &) {
  }
  return 0;
}
