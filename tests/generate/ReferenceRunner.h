//===- ReferenceRunner.h - runs the Python generation reference -*- C++ -*-===//
//
// This file implements the declaration of the test helper that runs
// tests/generate/reference_generate.py (the independent reference of Hugging
// Face's generate()) on a case - toy model, prompts, config - and reads back
// its sequences, per-step scores and sequence scores.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TESTS_GENERATE_REFERENCERUNNER_H
#define WEFT_TESTS_GENERATE_REFERENCERUNNER_H

#include "runtime/generate/GenerationConfig.h"
#include "tests/generate/ToyDecodeModel.h"

#include <optional>
#include <string>
#include <vector>

namespace weft::gen::test {

/// What the reference computed.
struct ReferenceResult {
  std::vector<std::vector<int64_t>> sequences;
  /// [step][row]: the row's processed scores (-inf as -infinity), or nullopt
  /// where the reference leaves them undefined (a finished prompt's beams).
  std::vector<std::vector<std::optional<std::vector<double>>>> scores;
  std::vector<double> sequenceScores;
};

/// Empty when /usr/bin/python3 with numpy can run the reference, else why not.
std::string referenceUnavailableReason();

/// Runs the reference; the error string says what failed (empty on success).
std::optional<ReferenceResult> runReference(const ToyModelSpec &spec, const std::vector<std::vector<int64_t>> &prompts,
                                            const GenerationConfig &config, std::string &error);

} // namespace weft::gen::test

#endif // WEFT_TESTS_GENERATE_REFERENCERUNNER_H
