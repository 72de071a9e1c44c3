//===- Types.cpp - value types of the weft DSL ----------------------------===//
//
// This file implements the helpers of the DSL's value types: dtype names and
// classes, shape formatting and element counts, and DslError's formatting.
//
//===----------------------------------------------------------------------===//

#include "frontend/DslError.h"
#include "frontend/Types.h"

#include "ir/ShapeRules.h"

#include "llvm/Support/raw_ostream.h"

namespace weft {

const char *dtypeName(DType dtype) {
  switch (dtype) {
  case DType::F32: return "f32";
  case DType::F16: return "f16";
  case DType::BF16: return "bf16";
  case DType::I32: return "i32";
  case DType::I64: return "i64";
  case DType::I1: return "i1";
  case DType::I8: return "i8";
  }
  return "?";
}

bool isFloat(DType dtype) {
  return dtype == DType::F32 || dtype == DType::F16 || dtype == DType::BF16;
}

bool isInteger(DType dtype) { return dtype == DType::I32 || dtype == DType::I64; }

std::string shapeStr(const Shape &shape) {
  std::string s;
  llvm::raw_string_ostream(s) << ShapeStr{shape};
  return s;
}

int64_t numElements(const Shape &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::string DslError::format(const Loc &loc, const std::string &message) {
  return std::string(loc.file_name()) + ":" + std::to_string(loc.line()) +
         ": error: " + message;
}

} // namespace weft
