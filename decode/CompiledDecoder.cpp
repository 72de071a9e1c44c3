//===- CompiledDecoder.cpp - KV-cache decoding with compiled programs -----===//
//
// This file implements CompiledDecoder:
//   1. init() builds the model's decode step and cache reorder, compiles each
//      with weft::compile and loads the decode step's Executor, which
//      allocates the weights and the caches; the reorder Executor shares its
//      caches.
//   2. prefill() checks the prompts (CachePositions), compiles the prefill of
//      that prompt length once (its Executor shares the weights and caches),
//      sets tokens, positions and mask, runs it, and returns the logits of
//      each row's last position; the caches then hold the prompts.
//   3. step() sets the new tokens, their positions, the grown mask and the
//      cache position to write, runs the decode step and returns its logits.
//   4. reorderRows() runs the reorder program with the sources as input and
//      permutes the host's masks and positions alike.
// Compile and DSL errors are turned into a Status here: nothing throws out.
//
//===----------------------------------------------------------------------===//

#include "decode/CompiledDecoder.h"

#include "frontend/DslError.h"
#include "frontend/Program.h"
#include "models/catalog/HfWeights.h"
#include "runtime/io/Checkpoint.h"
#include "runtime/io/QuantizedWeights.h"
#include "runtime/io/Safetensors.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringRef.h"

#include <cstring>
#include <exception>

namespace weft::decode {
namespace {

/// A row-major i64 tensor of `shape` holding `values`.
rt::HostTensor i64Tensor(std::vector<int64_t> shape, const std::vector<int64_t> &values) {
  rt::HostTensor t(weft::proto::I64, std::move(shape));
  std::memcpy(t.bytes.data(), values.data(), t.bytes.size());
  return t;
}

} // namespace

CompiledDecoder::CompiledDecoder(const char *model, int64_t vocab, const DecoderOptions &options,
                                 int64_t maxLength)
    : model_(model), vocab_(vocab), options_(options), rows_(options.rows, maxLength, vocab) {}

CompiledDecoder::~CompiledDecoder() {
  // The borrowers of the decode step's storage go first.
  prefills_.clear();
  reorder_.reset();
  decode_.reset();
}

rt::StatusOr<std::unique_ptr<rt::Executor>> CompiledDecoder::load(Program &program, const char *what,
                                                                   rt::Executor *owner) const {
  const CompileOptions &options = options_.compile;
  std::optional<rt::Executable> exe;
  try {
    CompileResult compiled = compile(program.module(), options);
    exe = std::move(compiled.executable);
  } catch (const std::exception &e) {
    return rt::invalidArgument("cannot compile the " + model_ + " " + what + ": " + e.what());
  }
  if (!exe)
    return rt::invalidArgument("cannot compile the " + model_ + " " + what +
                               ": the compile options stop before code generation (" + options.compileTo +
                               "); compile to the end");
  rt::ExecutorOptions executorOptions;
  executorOptions.shareStorageWith = owner;
  executorOptions.communicator = options_.communicator;
  return rt::Executor::create(std::move(*exe), executorOptions);
}

rt::StatusOr<int64_t> CompiledDecoder::checkedMaxLength(const char *who, const DecoderOptions &options,
                                                        int64_t context, const char *contextKey, const char *why) {
  const int64_t maxLength = options.maxLength > 0 ? options.maxLength : context;
  if (options.rows < 1 || options.rows > (int64_t(1) << 30) || maxLength > context)
    return rt::invalidArgument(std::string(who) + ": need 1 <= rows and max length <= " + contextKey + " (" +
                               std::to_string(context) + "), got rows " + std::to_string(options.rows) +
                               " and max length " + std::to_string(maxLength) + "; " + why);
  return maxLength;
}

rt::Status CompiledDecoder::init(const std::function<Program()> &buildStep,
                                 const std::function<Program()> &buildReorder) {
  try {
    Program step = buildStep();
    params_ = step.params();
    auto decode = load(step, "decode step", nullptr);
    if (!decode.isOk())
      return decode.status();
    decode_ = std::move(decode.value());
    Program reorder = buildReorder();
    auto reorderExe = load(reorder, "cache reorder", decode_.get());
    if (!reorderExe.isOk())
      return reorderExe.status();
    reorder_ = std::move(reorderExe.value());
  } catch (const DslError &e) {
    return rt::invalidArgument(model_ + " decoder: " + e.what());
  }
  return rt::Status::ok();
}

rt::Status CompiledDecoder::loadWeights(const std::string &safetensorsPath) {
  if (llvm::StringRef(safetensorsPath).ends_with(".safetensors")) {
    // A file saveWeights wrote (quantized) says so in its metadata.
    auto file = rt::SafetensorsFile::open(safetensorsPath);
    if (file.isOk()) {
      const auto &meta = file->metadata();
      if (meta.count(rt::kQuantizeMetadataKey) || meta.count(rt::kModelMetadataKey))
        return rt::loadQuantizedParameters(*file, *decode_, options_.compile.quantize, modelDescription());
    }
  }
  return loadHfWeights(safetensorsPath, params_, *decode_);
}

rt::Status CompiledDecoder::saveWeights(const std::string &safetensorsPath) const {
  return rt::saveParameters(*decode_, safetensorsPath, options_.compile.quantize, modelDescription());
}

rt::Status CompiledDecoder::loadCheckpointWeights(const proto::Checkpoint &checkpoint) {
  return rt::restoreParameters(checkpoint, *decode_);
}

rt::Status CompiledDecoder::setParameter(const std::string &name, const rt::HostTensor &value) {
  return rt::setWeightFromF32(*decode_, name, value); // quantized, or rounded to bf16/f16, as held
}

rt::StatusOr<rt::Executor *> CompiledDecoder::prefillExecutor(int64_t length) {
  auto it = prefills_.find(length);
  if (it != prefills_.end())
    return it->second.get();
  if (length < 1 || length > rows_.maxLength())
    return rt::invalidArgument("prefill: a prompt of length " + std::to_string(length) +
                               " does not fit the max length " + std::to_string(rows_.maxLength()));
  try {
    Program program = buildPrefill(length);
    auto exe = load(program, "prefill", decode_.get());
    if (!exe.isOk())
      return exe.status();
    rt::Executor *raw = exe.value().get();
    prefills_[length] = std::move(exe.value());
    return raw;
  } catch (const DslError &e) {
    return rt::invalidArgument(std::string("prefill: ") + e.what());
  }
}

rt::StatusOr<std::vector<float>> CompiledDecoder::runForLogits(rt::Executor &exe, const char *call) {
  rt::Status st = exe.run();
  if (!st.isOk())
    return rt::Status(st.code(), std::string(call) + ": " + st.message());
  rt::StatusOr<rt::HostTensor> logits = exe.output("logits");
  if (!logits.isOk())
    return logits.status();
  std::vector<float> out(size_t(logits->numElements()));
  std::memcpy(out.data(), logits->bytes.data(), logits->bytes.size());
  return out;
}

rt::StatusOr<std::vector<float>> CompiledDecoder::prefill(const std::vector<int64_t> &tokens,
                                                          const std::vector<int64_t> &mask, int64_t rows,
                                                          int64_t length) {
  // Check everything before the caches are touched: a refused prompt leaves
  // the earlier sequences as they were.
  CachePositions next = rows_;
  rt::StatusOr<std::vector<int64_t>> positions = next.startPrompts(tokens, mask, rows, length);
  if (!positions.isOk())
    return positions.status();
  rt::StatusOr<rt::Executor *> exe = prefillExecutor(length);
  if (!exe.isOk())
    return exe.status();
  std::vector<int64_t> shape{rows, length};
  WEFT_RETURN_IF_ERROR((*exe)->setInput("tokens", i64Tensor(shape, tokens)));
  WEFT_RETURN_IF_ERROR((*exe)->setInput("positions", i64Tensor(shape, *positions)));
  WEFT_RETURN_IF_ERROR((*exe)->setInput("mask", i64Tensor(shape, mask)));
  rt::StatusOr<std::vector<float>> logits = runForLogits(**exe, "prefill");
  if (logits.isOk())
    rows_ = std::move(next);
  return logits;
}

rt::StatusOr<std::vector<float>> CompiledDecoder::step(const std::vector<int64_t> &tokens) {
  rt::StatusOr<StepInputs> in = rows_.beginStep(tokens);
  if (!in.isOk())
    return in.status();
  const int64_t rows = rows_.rows();
  rt::Status st = decode_->setInput("tokens", i64Tensor({rows, 1}, tokens));
  if (st.isOk())
    st = decode_->setInput("positions", i64Tensor({rows, 1}, in->positions));
  if (st.isOk())
    st = decode_->setInput("mask", i64Tensor({rows, rows_.maxLength()}, rows_.mask()));
  if (st.isOk())
    st = decode_->setInput("start", i64Tensor({}, {in->start}));
  if (!st.isOk()) {
    rows_.abandonStep();
    return st;
  }
  rt::StatusOr<std::vector<float>> logits = runForLogits(*decode_, "step");
  if (logits.isOk())
    rows_.finishStep();
  else
    rows_.abandonStep();
  return logits;
}

rt::Status CompiledDecoder::reorderRows(const std::vector<int64_t> &source) {
  CachePositions next = rows_;
  WEFT_RETURN_IF_ERROR(next.reorder(source));
  WEFT_RETURN_IF_ERROR(reorder_->setInput("source", i64Tensor({rows_.rows()}, source)));
  rt::Status st = reorder_->run();
  if (!st.isOk())
    return rt::Status(st.code(), "reorderRows: " + st.message());
  rows_ = std::move(next);
  return rt::Status::ok();
}

} // namespace weft::decode
