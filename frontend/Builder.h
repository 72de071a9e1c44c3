//===- Builder.h - op construction core of the DSL (internal) ---*- C++ -*-===//
//
// This file implements the internal core shared by the DSL's .cpp files (it is
// not included by models): the program state behind Program and Tensor, the
// mapping of DSL locations and dtypes to MLIR, and the two ways ops are built.
// buildInferred<OpT> asks the op's static inferReturnTypes for the result
// type; buildTyped<OpT> takes it from the caller. Both create the op
// generically (never through an OpT::build that could abort), verify it, and
// turn every captured diagnostic into a DslError at the model's file:line.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_FRONTEND_BUILDER_H
#define WEFT_FRONTEND_BUILDER_H

#include "frontend/DslError.h"
#include "frontend/LoraConfig.h"
#include "frontend/Sharding.h"
#include "frontend/Tensor.h"
#include "frontend/Types.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include <memory>
#include <set>
#include <string>
#include <vector>

namespace weft::detail {

/// Everything a Program owns; Tensor handles point here.
struct ProgramState {
  std::unique_ptr<mlir::MLIRContext> ownedContext;
  mlir::MLIRContext *context = nullptr;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  mlir::func::FuncOp func;
  mlir::OpBuilder builder;
  /// Open name scopes, outermost first.
  std::vector<std::string> scopes;
  /// Open module-call frames, outermost first.
  std::vector<Loc> frames;
  std::vector<ParamSpec> params;
  std::vector<std::string> inputNames;
  std::vector<std::string> outputNames;
  /// Every function result in order (outputs and updates) and its tag:
  /// {kOutputAttr or kUpdateAttr, name}.
  std::vector<mlir::Value> outputValues;
  std::vector<std::pair<std::string, std::string>> resultTags;
  /// weft.state arguments by name, with their types (Program::state).
  std::vector<std::pair<std::string, mlir::Type>> states;
  /// Every argument name in use ("input:x", "param:h.0.ln_1.weight").
  std::set<std::string> argNames;
  std::vector<mlir::DictionaryAttr> argAttrs;
  /// LoRA adapters (Program::setLora): the config, the paths of every
  /// Linear built since, and the targets that matched one.
  LoraConfig lora;
  std::vector<std::string> linearPaths;
  std::set<std::string> matchedLoraTargets;
  /// LoRA dropout's seed input (kLoraSeedInput) and the next random stream.
  Tensor loraSeed;
  int64_t loraStreams = 0;
  /// The mesh (Program::setMesh); empty for one device.
  MeshSpec mesh;
  bool meshSet = false;
  bool finalized = false;
  /// The recompute group of the ops being built (RecomputeScope), -1 for
  /// none, and the number of groups opened so far.
  int64_t recomputeGroup = -1;
  int64_t nextRecomputeGroup = 0;

  explicit ProgramState(mlir::MLIRContext *ctx) : context(ctx), builder(ctx) {}

  /// The MLIR location of an op built at `loc` under the open frames:
  /// FileLineColLoc, wrapped in CallSiteLocs when frames are open.
  mlir::Location location(const Loc &loc) const;

  /// Throws DslError("<outermost frame or loc>: error: <message>") with a
  /// trailing line per inner frame and the op's own line.
  [[noreturn]] void fail(const Loc &loc, const std::string &message) const;

  /// Throws when the program is finalized.
  void checkOpen(const Loc &loc, const char *what) const;
};

/// The MLIR element type of a dtype.
mlir::Type elementType(mlir::MLIRContext *ctx, DType dtype);
/// The dtype of an MLIR element type (throws DslError for others).
DType dtypeOf(mlir::Type elementType);
/// tensor<shape x dtype>.
mlir::RankedTensorType tensorType(mlir::MLIRContext *ctx, const Shape &shape,
                                  DType dtype);

/// The state of `t`, checking that it is a valid handle and, when `other` is
/// given, that both tensors belong to the same program.
ProgramState &stateOf(const Tensor &t, const Loc &loc, const char *opName);
/// The common state of all tensors (at least one), checked as above.
ProgramState &stateOf(std::initializer_list<const Tensor *> ts, const Loc &loc,
                      const char *opName);

/// Collects the diagnostics emitted while it lives.
class DiagnosticCapture {
public:
  explicit DiagnosticCapture(mlir::MLIRContext *ctx);
  ~DiagnosticCapture();
  /// The captured messages joined into one text (a fallback when empty).
  std::string message(const std::string &fallback) const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Creates an op `opName` with `resultTypes` at the insertion point, verifies
/// it and returns its first result; on failure erases it and throws.
mlir::Value createVerified(ProgramState &s, const Loc &loc,
                           llvm::StringRef opName, mlir::ValueRange operands,
                           mlir::DictionaryAttr attrs,
                           llvm::ArrayRef<mlir::Type> resultTypes,
                           DiagnosticCapture &capture);

/// Builds OpT with its result type from OpT::inferReturnTypes.
template <typename OpT>
Tensor buildInferred(ProgramState &s, const Loc &loc, mlir::ValueRange operands,
                     llvm::ArrayRef<mlir::NamedAttribute> attrs = {}) {
  s.checkOpen(loc, OpT::getOperationName().data());
  DiagnosticCapture capture(s.context);
  mlir::DictionaryAttr dict = mlir::DictionaryAttr::get(s.context, attrs);
  llvm::SmallVector<mlir::Type, 1> types;
  if (mlir::failed(OpT::inferReturnTypes(s.context, s.location(loc), operands,
                                         dict, mlir::OpaqueProperties(nullptr),
                                         mlir::RegionRange(), types)))
    s.fail(loc, capture.message("'" + OpT::getOperationName().str() +
                                "' op result type inference failed"));
  return Tensor(&s, createVerified(s, loc, OpT::getOperationName(), operands,
                                   dict, types, capture));
}

/// Builds OpT with the given result type (ops without type inference).
template <typename OpT>
Tensor buildTyped(ProgramState &s, const Loc &loc, mlir::Type resultType,
                  mlir::ValueRange operands,
                  llvm::ArrayRef<mlir::NamedAttribute> attrs = {}) {
  s.checkOpen(loc, OpT::getOperationName().data());
  DiagnosticCapture capture(s.context);
  mlir::DictionaryAttr dict = mlir::DictionaryAttr::get(s.context, attrs);
  return Tensor(&s, createVerified(s, loc, OpT::getOperationName(), operands,
                                   dict, {resultType}, capture));
}

/// Normalizes a possibly negative dimension index against `rank`.
int64_t normalizeDim(ProgramState &s, const Loc &loc, const char *opName,
                     int64_t dim, int64_t rank);

/// weft.iota in `s` (the body of the public iota).
Tensor iotaIn(ProgramState &s, const Shape &shape, int64_t dim, DType dtype,
              const Loc &loc);
/// A splat weft.constant in `s` (the body of the public full).
Tensor fullIn(ProgramState &s, const Shape &shape, double value, DType dtype,
              const Loc &loc);

/// Throws when a result shape has a negative dimension.
void checkShape(ProgramState &s, const Loc &loc, const char *opName,
                const Shape &shape);

/// NamedAttribute `name` = `value`.
inline mlir::NamedAttribute named(ProgramState &s, llvm::StringRef name,
                                  mlir::Attribute value) {
  return mlir::NamedAttribute(mlir::StringAttr::get(s.context, name), value);
}

} // namespace weft::detail

#endif // WEFT_FRONTEND_BUILDER_H
