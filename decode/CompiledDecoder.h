//===- CompiledDecoder.h - KV-cache decoding with compiled programs -*- C++ -*-===//
//
// This file implements the declaration of CompiledDecoder, the
// model-independent part of incremental decoding with compiled programs (the
// gen::DecodeModel of every model weft decodes): a decode-step program and a
// cache-reorder program compiled once for (rows, max length), a prefill
// program compiled per prompt length on first use, and the Executors that
// run them. The decode step's Executor owns the weights and the key/value
// caches (weft.state buffers); the prefill and reorder Executors share that
// storage (ExecutorOptions::shareStorageWith), so the caches stay on the
// device: per token only the token ids, position ids, the mask [rows, max
// length] and the logits cross to and from the host. A model (Gpt2Decoder,
// LlamaDecoder) supplies its three program builders and its description;
// weights loading, the rows' bookkeeping (CachePositions) and the runs are
// here.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_DECODE_COMPILEDDECODER_H
#define WEFT_DECODE_COMPILEDDECODER_H

#include "compiler/Compile.h"
#include "decode/CachePositions.h"
#include "frontend/Types.h"
#include "frontend/nn/ParallelPlan.h"
#include "runtime/Executor.h"
#include "runtime/checkpoint.pb.h"
#include "runtime/comm/Communicator.h"
#include "runtime/generate/DecodeModel.h"

#include <functional>
#include <map>
#include <memory>
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
};

/// Decoding with a model's compiled prefill / decode-step / reorder programs.
class CompiledDecoder : public gen::DecodeModel {
public:
  ~CompiledDecoder() override;

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

  int64_t vocabSize() const override { return vocab_; }
  int64_t maxLength() const override { return rows_.maxLength(); }
  rt::StatusOr<std::vector<float>> prefill(const std::vector<int64_t> &tokens,
                                           const std::vector<int64_t> &mask, int64_t rows,
                                           int64_t length) override;
  rt::StatusOr<std::vector<float>> step(const std::vector<int64_t> &tokens) override;
  /// A gather of every cache into a temporary of the cache's size and a copy
  /// back into its storage, on the device: each reorder reads and writes the
  /// whole cache twice, nothing crosses to the host.
  rt::Status reorderRows(const std::vector<int64_t> &source) override;

  /// The decode step's Executor (it owns the weights and the caches), e.g.
  /// to profile a step, merge an adapter or read a cache back in a test.
  rt::Executor &decodeExecutor() { return *decode_; }
  /// The prefill Executor of prompts of `length` (compiled on first use).
  rt::StatusOr<rt::Executor *> prefillExecutor(int64_t length);

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

  const DecoderOptions &options() const { return options_; }

private:
  /// Compiles `program` and loads it, sharing `owner`'s weights and caches.
  rt::StatusOr<std::unique_ptr<rt::Executor>> load(Program &program, const char *what, rt::Executor *owner) const;
  /// Runs `exe` after its inputs are set and returns its "logits" as floats.
  rt::StatusOr<std::vector<float>> runForLogits(rt::Executor &exe, const char *call);

  std::string model_;
  int64_t vocab_;
  DecoderOptions options_;
  CachePositions rows_;
  std::vector<ParamSpec> params_;
  // The owner of the shared storage is declared first: destroyed last.
  std::unique_ptr<rt::Executor> decode_;
  std::unique_ptr<rt::Executor> reorder_;
  std::map<int64_t, std::unique_ptr<rt::Executor>> prefills_;
};

} // namespace weft::decode

#endif // WEFT_DECODE_COMPILEDDECODER_H
