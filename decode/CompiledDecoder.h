//===- CompiledDecoder.h - KV-cache decoding with compiled programs -*- C++ -*-===//
//
// This file implements the declaration of CompiledDecoder, the
// model-independent part of incremental decoding with compiled programs (the
// gen::DecodeModel of every model weft decodes): a ProgramDecoder
// (decode/ProgramDecoder.h: the Executors, the caches they share, the rows'
// bookkeeping) whose decode-step and cache-reorder programs are compiled once
// for (rows, max length) and whose prefill program is compiled per prompt
// length on first use. A model (Gpt2Decoder, LlamaDecoder) supplies its
// three program builders and its description; weights loading and the
// export of the compiled programs as a bundle are here.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_DECODE_COMPILEDDECODER_H
#define WEFT_DECODE_COMPILEDDECODER_H

#include "compiler/Compile.h"
#include "decode/ProgramDecoder.h"
#include "frontend/Types.h"
#include "frontend/nn/ParallelPlan.h"
#include "runtime/checkpoint.pb.h"
#include "runtime/comm/Communicator.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace weft {
class Program;
}

namespace weft::decode {

/// The sizes and target a decoder is compiled for.
struct DecoderOptions {
  /// Sequences decoded together (batch x beams); every prefill gives this many.
  int64_t rows = 1;
  /// Cache positions per row (prompt + generated tokens); 0: the model's
  /// context (n_positions, max_position_embeddings).
  int64_t maxLength = 0;
  /// Target, compile cache and IR dumps of the three programs.
  CompileOptions compile;
  /// Tensor parallelism: the mesh and a plan with only a tensor axis (heads
  /// and MLP split, the caches split by heads); every rank runs the same
  /// search on the whole logits, which the programs return gathered.
  MeshSpec mesh;
  nn::ParallelPlan plan;
  /// The ranks of `mesh` (null: one device).
  std::shared_ptr<rt::Communicator> communicator;
  /// Compile the programs but load none (no device is opened): the decoder
  /// can then only exportBundle, e.g. CUDA programs compiled on a machine
  /// without a GPU for one that has it; decoding calls fail.
  bool compileOnly = false;
};

/// Decoding with a model's compiled prefill / decode-step / reorder programs.
class CompiledDecoder : public ProgramDecoder {
public:
  /// Sets every parameter from Hugging Face safetensors weights or the
  /// `--save`d weights of `weft train` (models/catalog/HfWeights.h: one
  /// file, a sharded checkpoint's index or its directory), f32 weights being
  /// quantized on the way when options.compile.quantize is set; or from a
  /// file saveWeights wrote (its metadata names the model and the
  /// quantization, both must match this decoder's).
  rt::Status loadWeights(const std::string &safetensorsPath);
  /// Writes the program's parameters as they are held (int8 pairs and f32
  /// rest under --quantize int8-weight) to a safetensors file with the
  /// metadata weft.quantize and weft.model (runtime/io/QuantizedWeights.h).
  rt::Status saveWeights(const std::string &safetensorsPath) const;
  /// The model and its sizes, e.g. "gpt2 n_layer=.. ...": the weft.model a
  /// saved file is checked against.
  virtual std::string modelDescription() const = 0;
  /// Sets every parameter from a training checkpoint `weft train
  /// --checkpoint DIR` wrote (its optimizer state is not needed).
  rt::Status loadCheckpointWeights(const proto::Checkpoint &checkpoint);
  /// Sets one parameter (Hugging Face name); an f32 weight the program holds
  /// as int8 is quantized.
  rt::Status setParameter(const std::string &name, const rt::HostTensor &value);
  /// The parameters, as the model's forward program names them.
  const std::vector<ParamSpec> &params() const { return params_; }
  /// Writes the decode step, the reorder and the prefills of
  /// `prefillLengths` (compiled now where not yet) as a decoder bundle in
  /// `dir` (decode/DecoderBundle.h), for BundleDecoder to run without the
  /// compiler, e.g. on a GPU machine (DecoderOptions::compileOnly compiles
  /// for a device this machine lacks).
  rt::Status exportBundle(const std::string &dir, const std::vector<int64_t> &prefillLengths);

protected:
  /// `model` names the model in errors ("GPT-2", "LLaMA"); `vocab` is its
  /// vocabulary, `maxLength` the cache positions (checked by the caller).
  CompiledDecoder(const char *model, int64_t vocab, const DecoderOptions &options, int64_t maxLength);

  /// The cache positions of `options` (its maxLength, or `context` when 0),
  /// checked: INVALID_ARGUMENT from `who` unless 1 <= rows <= 2^30 and the
  /// max length is within the model's `context` (the config key
  /// `contextKey`); `why` says what a longer cache would lack.
  static rt::StatusOr<int64_t> checkedMaxLength(const char *who, const DecoderOptions &options, int64_t context,
                                                const char *contextKey, const char *why);
  /// Builds the decode step and the reorder program (DslError becomes
  /// INVALID_ARGUMENT), compiles and loads them: the step's Executor
  /// allocates weights and caches, the reorder shares them. Called once, by
  /// the model's create().
  rt::Status init(const std::function<Program()> &buildStep, const std::function<Program()> &buildReorder);
  /// The model's prefill program for prompts of `length` (may throw DslError).
  virtual Program buildPrefill(int64_t length) const = 0;
  /// buildPrefill(length), compiled.
  rt::StatusOr<rt::Executable> prefillProgram(int64_t length) override;

  const DecoderOptions &options() const { return options_; }

private:
  /// Compiles `program` (`what` names it in errors).
  rt::StatusOr<rt::Executable> compileProgram(Program &program, const char *what) const;

  DecoderOptions options_;
  std::vector<ParamSpec> params_;
  /// DecoderOptions::compileOnly: the programs, never loaded.
  std::optional<rt::Executable> compiledStep_, compiledReorder_;
};

} // namespace weft::decode

#endif // WEFT_DECODE_COMPILEDDECODER_H
