//===- DecoderBundle.h - a decoder's compiled programs as files --*- C++ -*-===//
//
// This file implements the declaration of the decoder bundle: a directory
// holding the Executables of one compiled decoder (decode step, cache
// reorder, a prefill per prompt length) and a manifest, decoder.txt, that
// says what they were compiled for. CompiledDecoder::exportBundle writes one;
// BundleDecoder runs one with the runtime alone — no compiler, no MLIR — which
// is how decoding is timed on a GPU machine that has the CUDA driver but not
// the compiler (bench/cuda). The manifest is plain text, one "key value" per
// line:
//     weft-decoder-bundle 1
//     model gpt2 n_layer=12 n_head=12 ...   (CompiledDecoder::modelDescription)
//     target cpu                            (or cuda)
//     vocab 50257
//     rows 1
//     max_length 144
//     cache_dtype bf16                      (f32, bf16 or f16: the caches' type)
//     prefill 16                            (one line per prefill program)
// (a manifest without cache_dtype, written before the key existed, means
// f32), and the programs are step.wexe, reorder.wexe and prefill_<length>.wexe
// beside it (framed and checksummed Executables, runtime/Executable.h). Every
// file is written atomically and the manifest last, so a bundle whose export
// was interrupted has no manifest and is refused as such.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_DECODE_DECODERBUNDLE_H
#define WEFT_DECODE_DECODERBUNDLE_H

#include "decode/ProgramDecoder.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace weft::decode {

/// What a bundle's manifest says.
struct DecoderBundleInfo {
  std::string model;                   ///< the model description (weft.model of saved weights)
  std::string target;                  ///< the Executables' target: "cpu" or "cuda"
  int64_t vocab = 0, rows = 0, maxLength = 0;
  /// The key/value caches' element type (cacheDtypeOf every program).
  proto::DType cacheDtype = proto::F32;
  std::vector<int64_t> prefillLengths; ///< ascending, distinct
};

/// The manifest's file name inside a bundle directory.
inline constexpr const char *kDecoderBundleManifest = "decoder.txt";

/// Writes a bundle into `dir` (created if missing): the programs, then the
/// manifest. `prefills` maps each prompt length to its program; info's
/// prefillLengths is taken from it and its cacheDtype from the programs
/// (INVALID_ARGUMENT when they hold their caches in different types).
rt::Status writeDecoderBundle(const std::string &dir, DecoderBundleInfo info, const rt::Executable &step,
                              const rt::Executable &reorder,
                              const std::map<int64_t, const rt::Executable *> &prefills);

/// Reads and checks `dir`'s manifest: INVALID_ARGUMENT naming the file and
/// line for an unknown key, a malformed or missing value, a version this
/// build cannot read; NOT_FOUND when the directory has no manifest.
rt::StatusOr<DecoderBundleInfo> readDecoderBundleInfo(const std::string &dir);

/// Decoding with the programs of a bundle, loaded by the runtime alone.
class BundleDecoder final : public ProgramDecoder {
public:
  /// Reads the manifest, loads the decode step and the reorder (the weights
  /// are then unset: set them through decodeExecutor(), e.g. with
  /// rt::setWeightFromF32 or runtime/io's loaders) and checks that the
  /// programs match the manifest (the step's logits are [rows, vocab], the
  /// caches of the step and the reorder are of its cache_dtype).
  static rt::StatusOr<std::unique_ptr<BundleDecoder>>
  open(const std::string &dir, std::shared_ptr<rt::Communicator> communicator = nullptr);

  const DecoderBundleInfo &info() const { return info_; }

protected:
  /// prefill_<length>.wexe; NOT_FOUND listing the lengths the bundle has.
  rt::StatusOr<rt::Executable> prefillProgram(int64_t length) override;

private:
  BundleDecoder(std::string dir, DecoderBundleInfo info, std::shared_ptr<rt::Communicator> communicator);

  std::string dir_;
  DecoderBundleInfo info_;
};

} // namespace weft::decode

#endif // WEFT_DECODE_DECODERBUNDLE_H
