//===- Gpt2TestConfigs.h - the small GPT-2 shapes tests compile -*- C++ -*-===//
//
// This file implements the GPT-2 configurations the end-to-end tests share,
// so the CPU and CUDA tests compile the same model.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TESTS_COMMON_GPT2TESTCONFIGS_H
#define WEFT_TESTS_COMMON_GPT2TESTCONFIGS_H

#include "models/Gpt2.h"

namespace weft::test {

/// GPT-2 with 2 layers, 4 heads, 64 wide, vocabulary 97, 32 positions.
inline models::Gpt2Config twoLayerGpt2Config() {
  models::Gpt2Config config = models::Gpt2Config::small();
  config.n_layer = 2;
  config.n_head = 4;
  config.n_embd = 64;
  config.vocab_size = 97;
  config.n_positions = 32;
  return config;
}

} // namespace weft::test

#endif // WEFT_TESTS_COMMON_GPT2TESTCONFIGS_H
