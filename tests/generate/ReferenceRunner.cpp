//===- ReferenceRunner.cpp - runs the Python generation reference ---------===//
//
// This file implements the reference runner: the case as JSON (Hugging Face's
// field names) in a temporary folder, one /usr/bin/python3 run of
// reference_generate.py, and the parsing of its JSON answer.
//
//===----------------------------------------------------------------------===//

#include "tests/generate/ReferenceRunner.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include <unistd.h>

namespace weft::gen::test {
namespace {

constexpr const char *kPython = "/usr/bin/python3";

nlohmann::json configJson(const GenerationConfig &c) {
  nlohmann::json j;
  j["max_new_tokens"] = c.maxNewTokens ? nlohmann::json(*c.maxNewTokens) : nlohmann::json(nullptr);
  j["max_length"] = c.maxLength ? nlohmann::json(*c.maxLength) : nlohmann::json(nullptr);
  j["do_sample"] = c.doSample;
  j["temperature"] = c.temperature;
  j["top_k"] = c.topK;
  j["top_p"] = c.topP;
  j["min_tokens_to_keep"] = c.minTokensToKeep;
  j["num_beams"] = c.numBeams;
  j["length_penalty"] = c.lengthPenalty;
  switch (c.earlyStopping) {
  case EarlyStopping::kHeuristic: j["early_stopping"] = false; break;
  case EarlyStopping::kAsSoonAsFull: j["early_stopping"] = true; break;
  case EarlyStopping::kNever: j["early_stopping"] = "never"; break;
  }
  j["num_return_sequences"] = c.numReturnSequences;
  j["repetition_penalty"] = c.repetitionPenalty;
  j["no_repeat_ngram_size"] = c.noRepeatNgramSize;
  j["eos_token_id"] = c.eosTokenIds;
  j["pad_token_id"] = c.padTokenId ? nlohmann::json(*c.padTokenId) : nlohmann::json(nullptr);
  j["seed"] = c.seed;
  return j;
}

double scoreValue(const nlohmann::json &x) {
  if (x.is_string())
    return -std::numeric_limits<double>::infinity(); // "-inf"
  return x.get<double>();
}

} // namespace

std::string referenceUnavailableReason() {
  if (::access(kPython, X_OK) != 0)
    return std::string(kPython) + " is not installed: the Python reference cannot run";
  if (std::system((std::string(kPython) + " -c 'import numpy' >/dev/null 2>&1").c_str()) != 0)
    return std::string(kPython) + " has no numpy: the Python reference cannot run";
  return "";
}

std::optional<ReferenceResult> runReference(const ToyModelSpec &spec, const std::vector<std::vector<int64_t>> &prompts,
                                            const GenerationConfig &config, std::string &error) {
  char dirTemplate[] = "/tmp/weft-generate-ref-XXXXXX";
  if (!::mkdtemp(dirTemplate)) {
    error = "cannot create a temporary folder under /tmp";
    return std::nullopt;
  }
  const std::string dir = dirTemplate, casePath = dir + "/case.json", outPath = dir + "/out.json";
  nlohmann::json c;
  c["model"] = {{"vocab", spec.vocab}, {"seed", spec.seed}, {"tie_grid", spec.tieGrid}, {"max_length", spec.maxLength}};
  c["prompts"] = prompts;
  c["config"] = configJson(config);
  std::ofstream(casePath) << c.dump();
  const std::string command = std::string(kPython) + " " WEFT_SOURCE_DIR "/tests/generate/reference_generate.py " +
                              casePath + " " + outPath + " 2>" + dir + "/stderr.txt";
  const int rc = std::system(command.c_str());
  std::ifstream in(outPath);
  if (rc != 0 || !in) {
    std::stringstream err;
    err << std::ifstream(dir + "/stderr.txt").rdbuf();
    error = "the reference failed (" + command + "): " + err.str();
    return std::nullopt;
  }
  nlohmann::json out = nlohmann::json::parse(in);
  ReferenceResult result;
  result.sequences = out["sequences"].get<std::vector<std::vector<int64_t>>>();
  result.sequenceScores = out["sequence_scores"].get<std::vector<double>>();
  for (const nlohmann::json &step : out["scores"]) {
    std::vector<std::optional<std::vector<double>>> rows;
    for (const nlohmann::json &row : step) {
      if (row.is_null()) {
        rows.emplace_back(std::nullopt);
        continue;
      }
      std::vector<double> values;
      for (const nlohmann::json &x : row)
        values.push_back(scoreValue(x));
      rows.emplace_back(std::move(values));
    }
    result.scores.push_back(std::move(rows));
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return result;
}

} // namespace weft::gen::test
