//===- Types.h - value types of the weft DSL --------------------*- C++ -*-===//
//
// This file implements the small value types shared by every part of the DSL:
// element types (DType), shapes, source locations (Loc), parameter
// initializers (Init) and the description of a parameter (ParamSpec). It
// includes no MLIR header, so models can include it cheaply.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_FRONTEND_TYPES_H
#define WEFT_FRONTEND_TYPES_H

#include <cstdint>
#include <source_location>
#include <string>
#include <vector>

namespace weft {

/// The source location of a DSL call. Every DSL function takes
/// `Loc loc = Loc::current()` as its last parameter, so the location is the
/// line of the model code that called it.
using Loc = std::source_location;

/// A static tensor shape (row-major dimension sizes).
using Shape = std::vector<int64_t>;

/// Element types supported by the weft dialect.
enum class DType { F32, F16, BF16, I32, I64, I1, I8 };

/// The MLIR spelling of a dtype ("f32", "i64", ...).
const char *dtypeName(DType dtype);

/// True for F32, F16 and BF16.
bool isFloat(DType dtype);

/// True for I32 and I64 (not I1).
bool isInteger(DType dtype);

/// Formats a shape as "[d0, d1, ...]", the way the dialect's diagnostics do.
std::string shapeStr(const Shape &shape);

/// The number of elements of a shape (1 for rank 0).
int64_t numElements(const Shape &shape);

/// How a parameter's initial value is drawn by the runtime.
struct Init {
  /// The distribution or constant.
  enum class Kind { Normal, Constant, Uniform };
  Kind kind = Kind::Normal;
  /// Standard deviation (Normal, mean 0), the value (Constant) or the bound
  /// b of U(-b, b) (Uniform).
  double value = 0.02;

  /// Normally distributed with mean 0 and standard deviation `stddev`.
  static Init normal(double stddev) { return {Kind::Normal, stddev}; }
  /// Every element is `v`.
  static Init constant(double v) { return {Kind::Constant, v}; }
  /// Uniformly distributed in [-bound, bound).
  static Init uniform(double bound) { return {Kind::Uniform, bound}; }
  /// Every element is 0.
  static Init zeros() { return constant(0.0); }
  /// Every element is 1.
  static Init ones() { return constant(1.0); }
};

/// A parameter of a program: the runtime binds its value by `name`.
struct ParamSpec {
  /// Hierarchical name, e.g. "h.0.attn.c_attn.weight".
  std::string name;
  Shape shape;
  DType dtype = DType::F32;
  Init init;
  /// False for a frozen parameter (Program::freeze, LoRA's base weights):
  /// the training step computes no gradient for it, keeps no optimizer
  /// state for it and never changes it.
  bool trainable = true;
};

} // namespace weft

#endif // WEFT_FRONTEND_TYPES_H
