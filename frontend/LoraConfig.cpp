//===- LoraConfig.cpp - which Linear layers get LoRA adapters -------------===//
//
// This file implements LoraConfig's matching and validation, the adapter
// parameter names, and parseLoraSpec (the CLI's `--lora` text).
//
//===----------------------------------------------------------------------===//

#include "frontend/LoraConfig.h"

#include <cmath>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace weft {
namespace {

constexpr const char *kSuffixA = ".lora_A.weight";
constexpr const char *kSuffixB = ".lora_B.weight";

bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// Parses the whole of `text` as a number; throws naming `item` otherwise.
double number(const std::string &text, const std::string &item) {
  char *end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v))
    throw std::invalid_argument("LoRA option '" + item + "': '" + text + "' is not a number");
  return v;
}

} // namespace

bool matchesLoraTarget(const std::string &linearPath, const std::string &target) {
  return linearPath == target || endsWith(linearPath, "." + target);
}

bool LoraConfig::matches(const std::string &linearPath) const {
  for (const std::string &t : targets)
    if (matchesLoraTarget(linearPath, t))
      return true;
  return false;
}

void LoraConfig::validate(const std::string &origin) const {
  auto fail = [&](const std::string &m) { throw std::invalid_argument(origin + ": " + m); };
  if (r < 1)
    fail("the LoRA rank r must be a positive integer, got " + std::to_string(r));
  if (!(alpha > 0))
    fail("lora alpha must be positive, got " + std::to_string(alpha));
  if (!(dropout >= 0 && dropout < 1))
    fail("lora dropout must be in [0, 1), got " + std::to_string(dropout));
  if (targets.empty())
    fail("LoRA needs at least one target module name (e.g. targets=c_attn)");
  for (const std::string &t : targets)
    if (t.empty())
      fail("a LoRA target module name is empty");
}

std::string LoraConfig::str() const {
  std::ostringstream os;
  os.precision(17);
  os << "r=" << r << ",alpha=" << alpha << ",dropout=" << dropout << ",targets=";
  for (size_t i = 0; i < targets.size(); ++i)
    os << (i ? "," : "") << targets[i];
  return os.str();
}

LoraConfig parseLoraSpec(const std::string &spec, const std::vector<std::string> &defaultTargets) {
  LoraConfig c;
  bool haveR = false, inTargets = false;
  std::vector<std::string> targets;
  std::stringstream items(spec);
  std::string item;
  while (std::getline(items, item, ',')) {
    size_t eq = item.find('=');
    if (eq == std::string::npos) {
      if (!inTargets)
        throw std::invalid_argument("LoRA option '" + item +
                                    "' has no value; write key=value with keys r, alpha, dropout, "
                                    "targets (e.g. r=8,alpha=16,dropout=0,targets=c_attn)");
      targets.push_back(item);
      continue;
    }
    std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    inTargets = false;
    if (key == "r") {
      double v = number(value, item);
      if (v != std::floor(v) || v < 1 || v > 65536)
        throw std::invalid_argument("LoRA option '" + item + "': r must be an integer from 1 to 65536");
      c.r = int(v);
      haveR = true;
    } else if (key == "alpha") {
      c.alpha = number(value, item);
    } else if (key == "dropout") {
      c.dropout = number(value, item);
    } else if (key == "targets") {
      inTargets = true;
      targets.push_back(value);
    } else {
      throw std::invalid_argument("unknown LoRA option '" + key +
                                  "'; the keys are r, alpha, dropout and targets");
    }
  }
  if (!haveR)
    throw std::invalid_argument("LoRA options '" + spec + "' give no rank; add r=N (e.g. r=8)");
  c.targets = targets.empty() ? defaultTargets : targets;
  c.validate("--lora " + spec);
  return c;
}

std::string loraParamName(const std::string &linearPath, bool b) {
  return linearPath + (b ? kSuffixB : kSuffixA);
}

bool isLoraParamName(const std::string &name, std::string *linearPath, bool *b) {
  for (bool isB : {false, true}) {
    std::string suffix = isB ? kSuffixB : kSuffixA;
    if (endsWith(name, suffix) && name.size() > suffix.size()) {
      if (linearPath)
        *linearPath = name.substr(0, name.size() - suffix.size());
      if (b)
        *b = isB;
      return true;
    }
  }
  return false;
}

} // namespace weft
