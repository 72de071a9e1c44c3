//===- Gpt2Decoder.h - GPT-2 decoding with a compiled KV cache --*- C++ -*-===//
//
// This file implements the declaration of Gpt2Decoder, the GPT-2
// implementation of gen::DecodeModel: a decode-step program and a cache
// reorder program compiled once for (config, rows, max length), a prefill
// program compiled per prompt length on first use, all built from
// models/Gpt2's DSL code. The decode step's Executor owns the weights and the
// key/value caches (STATE buffers [rows, heads, max length, head dim] per
// layer); the prefill and reorder Executors share that storage
// (ExecutorOptions::shareStorageWith), so the cache stays on the device:
// per token only the token ids, position ids, the mask [rows, max length]
// and the logits cross to and from the host.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_DECODE_GPT2DECODER_H
#define WEFT_DECODE_GPT2DECODER_H

#include "compiler/Compile.h"
#include "decode/CachePositions.h"
#include "frontend/Types.h"
#include "models/Gpt2.h"
#include "runtime/Executor.h"
#include "runtime/checkpoint.pb.h"
#include "runtime/comm/Communicator.h"
#include "runtime/generate/DecodeModel.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace weft::decode {

/// The sizes and target a Gpt2Decoder is compiled for.
struct Gpt2DecoderOptions {
  /// Sequences decoded together (batch x beams); every prefill gives this many.
  int64_t rows = 1;
  /// Cache positions per row (prompt + generated tokens); 0: n_positions.
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

/// GPT-2 decoding with the compiled prefill / decode-step programs.
class Gpt2Decoder final : public gen::DecodeModel {
public:
  /// Compiles the decode step and the reorder program and loads them (the
  /// weights are then unset: loadWeights or setParameter). INVALID_ARGUMENT
  /// for sizes the model refuses (a max length above n_positions, ...) or a
  /// failed compile, with the compiler's message.
  static rt::StatusOr<std::unique_ptr<Gpt2Decoder>> create(const models::Gpt2Config &config,
                                                           const Gpt2DecoderOptions &options);
  ~Gpt2Decoder() override;

  /// Sets every parameter from a Hugging Face GPT-2 safetensors file or the
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
  /// "gpt2 n_layer=.. n_head=.. n_embd=.. n_inner=.. vocab_size=..
  /// n_positions=..": the weft.model a saved file is checked against.
  std::string modelDescription() const;
  /// Sets every parameter from a training checkpoint `weft train
  /// --checkpoint DIR` wrote (its optimizer state is not needed).
  rt::Status loadCheckpointWeights(const proto::Checkpoint &checkpoint);
  /// Sets one parameter (Hugging Face name, e.g. "h.0.attn.c_attn.weight");
  /// an f32 weight the program holds as int8 is quantized.
  rt::Status setParameter(const std::string &name, const rt::HostTensor &value);
  /// The parameters, as buildGpt2Forward names them.
  const std::vector<ParamSpec> &params() const { return params_; }

  int64_t vocabSize() const override { return config_.vocab_size; }
  int64_t maxLength() const override { return rows_.maxLength(); }
  rt::StatusOr<std::vector<float>> prefill(const std::vector<int64_t> &tokens,
                                           const std::vector<int64_t> &mask, int64_t rows,
                                           int64_t length) override;
  rt::StatusOr<std::vector<float>> step(const std::vector<int64_t> &tokens) override;
  /// A gather of every cache into a temporary of the cache's size and a copy
  /// back into its storage, on the device: each reorder reads and writes the
  /// whole cache twice (4 x layers x 2 x rows x heads x max length x head
  /// dim x 4 bytes of traffic), nothing crosses to the host.
  rt::Status reorderRows(const std::vector<int64_t> &source) override;

  /// The decode step's Executor (it owns the weights and the caches), e.g.
  /// to profile a step or read a cache back in a test.
  rt::Executor &decodeExecutor() { return *decode_; }
  /// The prefill Executor of prompts of `length` (compiled on first use).
  rt::StatusOr<rt::Executor *> prefillExecutor(int64_t length);

private:
  Gpt2Decoder(const models::Gpt2Config &config, const Gpt2DecoderOptions &options,
              int64_t maxLength);
  /// Runs `exe` after its inputs are set and returns its "logits" as floats.
  rt::StatusOr<std::vector<float>> runForLogits(rt::Executor &exe, const char *call);

  models::Gpt2Config config_;
  Gpt2DecoderOptions options_;
  CachePositions rows_;
  std::vector<ParamSpec> params_;
  // The owner of the shared storage is declared first: destroyed last.
  std::unique_ptr<rt::Executor> decode_;
  std::unique_ptr<rt::Executor> reorder_;
  std::map<int64_t, std::unique_ptr<rt::Executor>> prefills_;
};

} // namespace weft::decode

#endif // WEFT_DECODE_GPT2DECODER_H
