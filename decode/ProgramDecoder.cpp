//===- ProgramDecoder.cpp - KV-cache decoding over loaded programs --------===//
//
// This file implements ProgramDecoder:
//   1. loadPrograms() loads the decode step's Executor, which allocates the
//      weights and the caches, and the reorder Executor, which shares them.
//   2. prefill() checks the prompts (CachePositions), loads the prefill of
//      that prompt length once (its Executor shares the weights and caches),
//      sets tokens, positions and mask, runs it, and returns the logits of
//      each row's last position; the caches then hold the prompts.
//   3. step() sets the new tokens, their positions, the grown mask and the
//      cache position to write, runs the decode step and returns its logits.
//   4. reorderRows() runs the reorder program with the sources as input and
//      permutes the host's masks and positions alike.
//
//===----------------------------------------------------------------------===//

#include "decode/ProgramDecoder.h"

#include "runtime/HostTensor.h"

#include <cstring>

namespace weft::decode {
namespace {

/// A row-major i64 tensor of `shape` holding `values`.
rt::HostTensor i64Tensor(std::vector<int64_t> shape, const std::vector<int64_t> &values) {
  rt::HostTensor t(weft::proto::I64, std::move(shape));
  std::memcpy(t.bytes.data(), values.data(), t.bytes.size());
  return t;
}

} // namespace

rt::StatusOr<proto::DType> cacheDtypeOf(const rt::Executable &exe) {
  const proto::Buffer *first = nullptr;
  for (const proto::Buffer &b : exe.proto().buffers()) {
    if (b.kind() != proto::STATE)
      continue;
    if (!first)
      first = &b;
    else if (b.dtype() != first->dtype())
      return rt::invalidArgument(exe.source() + ": its key/value caches differ in type ('" + first->name() +
                                 "' is " + rt::dtypeName(first->dtype()) + ", '" + b.name() + "' " +
                                 rt::dtypeName(b.dtype()) + "); compile every cache in one precision");
  }
  return first ? first->dtype() : proto::F32;
}

ProgramDecoder::ProgramDecoder(std::string model, int64_t vocab, int64_t rows, int64_t maxLength,
                               std::shared_ptr<rt::Communicator> communicator)
    : model_(std::move(model)), vocab_(vocab), communicator_(std::move(communicator)),
      rows_(rows, maxLength, vocab) {}

ProgramDecoder::~ProgramDecoder() {
  // The borrowers of the decode step's storage go first.
  prefills_.clear();
  reorder_.reset();
  decode_.reset();
}

rt::StatusOr<std::unique_ptr<rt::Executor>> ProgramDecoder::load(rt::Executable exe, bool ownsStorage) const {
  rt::ExecutorOptions options;
  options.shareStorageWith = ownsStorage ? nullptr : decode_.get();
  options.communicator = communicator_;
  return rt::Executor::create(std::move(exe), options);
}

rt::Status ProgramDecoder::loadPrograms(rt::Executable step, rt::Executable reorder) {
  auto decode = load(std::move(step), /*ownsStorage=*/true);
  if (!decode.isOk())
    return rt::Status(decode.status().code(), model_ + " decode step: " + decode.status().message());
  decode_ = std::move(decode.value());
  rt::StatusOr<proto::DType> dtype = cacheDtypeOf(decode_->executable());
  if (!dtype.isOk())
    return dtype.status();
  cacheDtype_ = *dtype;
  auto reorderExe = load(std::move(reorder), /*ownsStorage=*/false);
  if (!reorderExe.isOk())
    return rt::Status(reorderExe.status().code(), model_ + " cache reorder: " + reorderExe.status().message());
  reorder_ = std::move(reorderExe.value());
  return rt::Status::ok();
}

rt::Status ProgramDecoder::checkLoaded(const char *call) const {
  if (!decode_)
    return rt::failedPrecondition(std::string(call) + ": the " + model_ +
                                  " decoder's programs were compiled but not loaded (compile only)");
  return rt::Status::ok();
}

rt::StatusOr<rt::Executor *> ProgramDecoder::prefillExecutor(int64_t length) {
  WEFT_RETURN_IF_ERROR(checkLoaded("prefill"));
  auto it = prefills_.find(length);
  if (it != prefills_.end())
    return it->second.get();
  if (length < 1 || length > rows_.maxLength())
    return rt::invalidArgument("prefill: a prompt of length " + std::to_string(length) +
                               " does not fit the max length " + std::to_string(rows_.maxLength()));
  rt::StatusOr<rt::Executable> program = prefillProgram(length);
  if (!program.isOk())
    return program.status();
  auto exe = load(std::move(program.value()), /*ownsStorage=*/false);
  if (!exe.isOk())
    return rt::Status(exe.status().code(), model_ + " prefill of length " + std::to_string(length) + ": " +
                                               exe.status().message());
  rt::Executor *raw = exe.value().get();
  prefills_[length] = std::move(exe.value());
  return raw;
}

rt::StatusOr<std::vector<float>> ProgramDecoder::runForLogits(rt::Executor &exe, const char *call) {
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

rt::StatusOr<std::vector<float>> ProgramDecoder::prefill(const std::vector<int64_t> &tokens,
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

rt::StatusOr<std::vector<float>> ProgramDecoder::step(const std::vector<int64_t> &tokens) {
  WEFT_RETURN_IF_ERROR(checkLoaded("step"));
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

rt::Status ProgramDecoder::reorderRows(const std::vector<int64_t> &source) {
  WEFT_RETURN_IF_ERROR(checkLoaded("reorderRows"));
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
