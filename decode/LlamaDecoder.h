//===- LlamaDecoder.h - LLaMA decoding with a compiled KV cache -*- C++ -*-===//
//
// This file implements the declaration of LlamaDecoder, the LLaMA
// CompiledDecoder (decode/CompiledDecoder.h): its prefill, decode-step and
// cache-reorder programs are models/Llama's buildLlamaPrefill,
// buildLlamaDecodeStep and buildLlamaCacheReorder. The caches hold the
// key/value heads only, [rows, num_key_value_heads, max length, head dim]
// per layer (grouped-query attention's memory saving), the keys rotated at
// each row's positions.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_DECODE_LLAMADECODER_H
#define WEFT_DECODE_LLAMADECODER_H

#include "decode/CompiledDecoder.h"
#include "models/Llama.h"

#include <memory>
#include <string>

namespace weft::decode {

/// LLaMA decoding with the compiled prefill / decode-step programs.
class LlamaDecoder final : public CompiledDecoder {
public:
  /// Compiles the decode step and the reorder program and loads them (the
  /// weights are then unset: loadWeights or setParameter). INVALID_ARGUMENT
  /// for sizes the model refuses (a max length above
  /// max_position_embeddings, no rows, a plan that does not fit) or a failed
  /// compile, with the compiler's message.
  static rt::StatusOr<std::unique_ptr<LlamaDecoder>> create(const models::LlamaConfig &config,
                                                            const DecoderOptions &options);

  /// "llama layers=.. hidden=.. heads=.. kv_heads=.. intermediate=..
  /// vocab=.. positions=.. theta=.. tied=..": the weft.model a saved file is
  /// checked against.
  std::string modelDescription() const override;

private:
  LlamaDecoder(const models::LlamaConfig &config, const DecoderOptions &options, int64_t maxLength)
      : CompiledDecoder("LLaMA", config.vocab_size, options, maxLength), config_(config) {}
  Program buildPrefill(int64_t length) const override;

  models::LlamaConfig config_;
};

} // namespace weft::decode

#endif // WEFT_DECODE_LLAMADECODER_H
