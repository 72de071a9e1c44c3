//===- LoraConfig.h - which Linear layers get LoRA adapters ----*- C++ -*-===//
//
// This file implements the declarations of LoraConfig, the plain-data
// description of low-rank adapters (LoRA, Hu et al. 2021, as Hugging Face
// PEFT applies them): rank, alpha, dropout and the names of the target
// Linear modules, PEFT's module-name matching, the names of the adapter
// parameters, and the parser of the CLI's `--lora r=8,alpha=16,...` text.
// No MLIR headers: models, the runtime side and the CLI include it cheaply.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_FRONTEND_LORACONFIG_H
#define WEFT_FRONTEND_LORACONFIG_H

#include <string>
#include <vector>

namespace weft {

/// The rank-0 i64 input of a program with LoRA dropout > 0: the seed of
/// every adapter's dropout mask (a training loop feeds the step number, so
/// each step draws fresh masks).
inline constexpr const char *kLoraSeedInput = "lora.seed";

/// LoRA on the Linear layers named by `targets`: h = W0 x + (B A dropout(x))
/// * alpha / r, with parameters "<linear>.lora_A.weight" [r, in] (Kaiming
/// uniform, PEFT's default: U(-1/sqrt(in), 1/sqrt(in))) and
/// "<linear>.lora_B.weight" [out, r] (zeros); every other parameter of the
/// program is frozen (PEFT's bias = "none"). r = 0 turns LoRA off.
struct LoraConfig {
  int r = 0;
  double alpha = 8;
  /// Dropout on the adapter's input: the program gets the input
  /// kLoraSeedInput. Programs that only evaluate set it to 0.
  double dropout = 0;
  /// Module names as PEFT's target_modules list: a Linear whose scoped
  /// path equals a name or ends with "." + name is adapted.
  std::vector<std::string> targets;

  /// True when r > 0.
  bool enabled() const { return r > 0; }
  /// alpha / r, the factor of the adapter's output.
  double scaling() const { return alpha / r; }
  /// True when the Linear at `linearPath` (e.g. "h.0.attn.c_attn") is a
  /// target (PEFT's rule for a list of names).
  bool matches(const std::string &linearPath) const;
  /// Throws std::invalid_argument naming `origin` when r < 1, alpha <= 0,
  /// dropout outside [0, 1) or the target list is empty or holds an empty
  /// name.
  void validate(const std::string &origin) const;
  /// "r=8,alpha=16,dropout=0.05,targets=c_attn" (the text parseLoraSpec
  /// reads).
  std::string str() const;
};

/// PEFT's rule for one name of a target_modules list: `linearPath` equals
/// `target` or ends with "." + target.
bool matchesLoraTarget(const std::string &linearPath, const std::string &target);

/// Parses "r=8,alpha=16,dropout=0.05,targets=c_attn,c_proj": keys r (needed),
/// alpha (default 8, PEFT's), dropout (default 0) and targets
/// (default `defaultTargets`); items without '=' after targets= add more
/// target names. Throws std::invalid_argument naming the bad item.
LoraConfig parseLoraSpec(const std::string &spec, const std::vector<std::string> &defaultTargets);

/// The name of an adapter parameter of the Linear at `linearPath`:
/// "<linearPath>.lora_A.weight" (`b` false) or ".lora_B.weight".
std::string loraParamName(const std::string &linearPath, bool b);

/// True for names that end in ".lora_A.weight" or ".lora_B.weight"; sets
/// `linearPath` and `b` when given.
bool isLoraParamName(const std::string &name, std::string *linearPath = nullptr,
                     bool *b = nullptr);

} // namespace weft

#endif // WEFT_FRONTEND_LORACONFIG_H
