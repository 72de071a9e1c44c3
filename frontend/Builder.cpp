//===- Builder.cpp - op construction core of the DSL ----------------------===//
//
// This file implements the DSL's op construction core: locations (source
// location → FileLineColLoc, wrapped in CallSiteLoc inside nn modules),
// dtype mapping, diagnostic capture, and generic creation + verification of
// ops with every failure turned into a DslError at the model's file:line.
//
//===----------------------------------------------------------------------===//

#include "frontend/Builder.h"

#include "ir/AttrNames.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/Verifier.h"

using namespace mlir;

namespace weft::detail {

namespace {
std::string fileLine(const Loc &loc) {
  return std::string(loc.file_name()) + ":" + std::to_string(loc.line());
}
Location fileLineCol(MLIRContext *ctx, const Loc &loc) {
  return FileLineColLoc::get(ctx, loc.file_name(), loc.line(), loc.column());
}
} // namespace

Location ProgramState::location(const Loc &loc) const {
  Location own = fileLineCol(context, loc);
  if (frames.empty())
    return own;
  Location caller = fileLineCol(context, frames.front());
  for (size_t i = 1; i < frames.size(); ++i)
    caller = CallSiteLoc::get(fileLineCol(context, frames[i]), caller);
  return CallSiteLoc::get(own, caller);
}

void ProgramState::fail(const Loc &loc, const std::string &message) const {
  if (frames.empty())
    throw DslError(loc, message);
  std::string text = DslError::format(frames.front(), message);
  for (size_t i = 1; i < frames.size(); ++i)
    text += "\n  called through " + fileLine(frames[i]);
  text += "\n  op built at " + fileLine(loc);
  throw DslError(text);
}

void ProgramState::checkOpen(const Loc &loc, const char *what) const {
  if (finalized)
    fail(loc, std::string("cannot add ") + what +
                  ": the program is finalized (module() or str() was called); "
                  "build everything before finalizing");
}

Type elementType(MLIRContext *ctx, DType dtype) {
  switch (dtype) {
  case DType::F32: return Float32Type::get(ctx);
  case DType::F16: return Float16Type::get(ctx);
  case DType::BF16: return BFloat16Type::get(ctx);
  case DType::I32: return IntegerType::get(ctx, 32);
  case DType::I64: return IntegerType::get(ctx, 64);
  case DType::I1: return IntegerType::get(ctx, 1);
  case DType::I8: return IntegerType::get(ctx, 8);
  }
  return {};
}

DType dtypeOf(Type t) {
  if (t.isF32()) return DType::F32;
  if (t.isF16()) return DType::F16;
  if (t.isBF16()) return DType::BF16;
  if (t.isSignlessInteger(32)) return DType::I32;
  if (t.isSignlessInteger(64)) return DType::I64;
  if (t.isSignlessInteger(1)) return DType::I1;
  if (t.isSignlessInteger(8)) return DType::I8;
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  throw DslError("weft DSL: error: element type " + s +
                 " is not a weft dtype (f32, f16, bf16, i32, i64, i1, i8)");
}

RankedTensorType tensorType(MLIRContext *ctx, const Shape &shape, DType dtype) {
  return RankedTensorType::get(shape, elementType(ctx, dtype));
}

ProgramState &stateOf(const Tensor &t, const Loc &loc, const char *opName) {
  if (!t.valid())
    throw DslError(loc, std::string("'") + opName +
                            "' got an empty Tensor handle; pass a tensor "
                            "created by a Program");
  return *t.state();
}

ProgramState &stateOf(std::initializer_list<const Tensor *> ts, const Loc &loc,
                      const char *opName) {
  ProgramState *s = nullptr;
  for (const Tensor *t : ts) {
    ProgramState &st = stateOf(*t, loc, opName);
    if (s && s != &st)
      throw DslError(loc, std::string("'") + opName +
                              "' mixes tensors of two different Programs");
    s = &st;
  }
  return *s;
}

struct DiagnosticCapture::Impl {
  std::vector<std::string> messages;
  ScopedDiagnosticHandler handler;
  explicit Impl(MLIRContext *ctx)
      : handler(ctx, [this](Diagnostic &d) {
          std::string text = d.str();
          for (Diagnostic &note : d.getNotes())
            text += "\n  note: " + note.str();
          messages.push_back(std::move(text));
          return success();
        }) {}
};

DiagnosticCapture::DiagnosticCapture(MLIRContext *ctx)
    : impl_(std::make_unique<Impl>(ctx)) {}
DiagnosticCapture::~DiagnosticCapture() = default;

std::string DiagnosticCapture::message(const std::string &fallback) const {
  if (impl_->messages.empty())
    return fallback;
  std::string text = impl_->messages.front();
  for (size_t i = 1; i < impl_->messages.size(); ++i)
    text += "\n  " + impl_->messages[i];
  return text;
}

Value createVerified(ProgramState &s, const Loc &loc, StringRef opName,
                     ValueRange operands, DictionaryAttr attrs,
                     ArrayRef<Type> resultTypes, DiagnosticCapture &capture) {
  OperationState state(s.location(loc), opName);
  state.addOperands(operands);
  state.addAttributes(attrs.getValue());
  if (s.recomputeGroup >= 0)
    state.addAttribute(kRecomputeAttr, s.builder.getI64IntegerAttr(s.recomputeGroup));
  state.addTypes(resultTypes);
  Operation *op = s.builder.create(state);
  if (failed(verify(op))) {
    op->erase();
    s.fail(loc, capture.message("'" + opName.str() + "' op failed to verify"));
  }
  return op->getResult(0);
}

int64_t normalizeDim(ProgramState &s, const Loc &loc, const char *opName,
                     int64_t dim, int64_t rank) {
  int64_t d = dim < 0 ? dim + rank : dim;
  if (d < 0 || d >= rank)
    s.fail(loc, std::string("'") + opName + "' dimension " +
                    std::to_string(dim) + " is out of range for rank " +
                    std::to_string(rank) + " (valid: " +
                    std::to_string(-rank) + " .. " + std::to_string(rank - 1) +
                    ")");
  return d;
}

void checkShape(ProgramState &s, const Loc &loc, const char *opName,
                const Shape &shape) {
  for (int64_t d : shape)
    if (d < 0)
      s.fail(loc, std::string("'") + opName + "' result shape " +
                      shapeStr(shape) +
                      " has a negative dimension; sizes must be >= 0");
}

} // namespace weft::detail
