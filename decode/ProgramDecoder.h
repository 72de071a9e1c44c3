//===- ProgramDecoder.h - KV-cache decoding over loaded programs -*- C++ -*-===//
//
// This file implements the declaration of ProgramDecoder, the runtime half of
// weft's incremental decoding (no compiler, no MLIR): a gen::DecodeModel over
// three kinds of Executables — a decode step and a cache reorder loaded
// once, a prefill per prompt length loaded on first use — run by Executors
// that share one storage. The decode step's Executor owns the weights and the
// key/value caches (weft.state buffers); the prefill and reorder Executors
// borrow them (ExecutorOptions::shareStorageWith), so the caches stay on the
// device: per token only the token ids, position ids, the mask [rows, max
// length] and the logits cross to and from the host. Where the programs come
// from is the subclass's business: CompiledDecoder compiles a model's DSL
// programs, BundleDecoder (decode/DecoderBundle.h) reads a directory of
// Executables written earlier, e.g. compiled here for a GPU machine that has
// no compiler.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_DECODE_PROGRAMDECODER_H
#define WEFT_DECODE_PROGRAMDECODER_H

#include "decode/CachePositions.h"
#include "runtime/Executable.h"
#include "runtime/Executor.h"
#include "runtime/comm/Communicator.h"
#include "runtime/generate/DecodeModel.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace weft::decode {

/// The element type of `exe`'s key/value caches (its STATE buffers): f32,
/// or bf16/f16 where the program was compiled with --precision bf16/f16
/// (weft-mixed-precision store-states); f32 when it has none.
/// INVALID_ARGUMENT naming the program and the two states when they differ.
rt::StatusOr<proto::DType> cacheDtypeOf(const rt::Executable &exe);

/// Decoding with a model's prefill / decode-step / reorder Executables.
class ProgramDecoder : public gen::DecodeModel {
public:
  ~ProgramDecoder() override;

  int64_t vocabSize() const override { return vocab_; }
  int64_t maxLength() const override { return rows_.maxLength(); }
  /// Sequences decoded together (batch x beams).
  int64_t rows() const { return rows_.rows(); }
  rt::StatusOr<std::vector<float>> prefill(const std::vector<int64_t> &tokens,
                                           const std::vector<int64_t> &mask, int64_t rows,
                                           int64_t length) override;
  rt::StatusOr<std::vector<float>> step(const std::vector<int64_t> &tokens) override;
  /// A gather of every cache into a temporary of the cache's size and a copy
  /// back into its storage, on the device: each reorder reads and writes the
  /// whole cache twice, nothing crosses to the host.
  rt::Status reorderRows(const std::vector<int64_t> &source) override;

  /// The element type the caches are held in (cacheDtypeOf the decode step).
  proto::DType cacheDtype() const { return cacheDtype_; }
  /// The decode step's Executor (it owns the weights and the caches), e.g.
  /// to set weights, profile a step or read a cache back in a test.
  rt::Executor &decodeExecutor() { return *decode_; }
  const rt::Executor &decodeExecutor() const { return *decode_; }
  /// The cache reorder's Executor.
  const rt::Executor &reorderExecutor() const { return *reorder_; }
  /// The prefill Executor of prompts of `length` (loaded on first use).
  rt::StatusOr<rt::Executor *> prefillExecutor(int64_t length);

protected:
  /// `model` names the model in errors ("GPT-2", "LLaMA"); `vocab` is its
  /// vocabulary, `maxLength` the cache positions, `rows` the sequences.
  ProgramDecoder(std::string model, int64_t vocab, int64_t rows, int64_t maxLength,
                 std::shared_ptr<rt::Communicator> communicator);

  /// Loads the decode step (whose Executor allocates the weights and the
  /// caches) and the reorder (which shares them). Called once, by the
  /// subclass's factory.
  rt::Status loadPrograms(rt::Executable step, rt::Executable reorder);
  /// The prefill program for prompts of `length` (1 <= length <= the max
  /// length, checked by the caller).
  virtual rt::StatusOr<rt::Executable> prefillProgram(int64_t length) = 0;

  const std::string &modelName() const { return model_; }
  /// FAILED_PRECONDITION from `call` when no programs were loaded.
  rt::Status checkLoaded(const char *call) const;

private:
  /// Loads `exe`, sharing the decode step's weights and caches unless it is
  /// the decode step itself.
  rt::StatusOr<std::unique_ptr<rt::Executor>> load(rt::Executable exe, bool ownsStorage) const;
  /// Runs `exe` after its inputs are set and returns its "logits" as floats.
  rt::StatusOr<std::vector<float>> runForLogits(rt::Executor &exe, const char *call);

  std::string model_;
  int64_t vocab_;
  std::shared_ptr<rt::Communicator> communicator_;
  CachePositions rows_;
  proto::DType cacheDtype_ = proto::F32;
  // The owner of the shared storage is declared first: destroyed last.
  std::unique_ptr<rt::Executor> decode_;
  std::unique_ptr<rt::Executor> reorder_;
  std::map<int64_t, std::unique_ptr<rt::Executor>> prefills_;
};

} // namespace weft::decode

#endif // WEFT_DECODE_PROGRAMDECODER_H
