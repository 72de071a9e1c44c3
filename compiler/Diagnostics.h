//===- Diagnostics.h - compiler diagnostics into one error ------*- C++ -*-===//
//
// This file declares DiagnosticCollector: while alive, it captures every MLIR
// diagnostic of a context as "<location>: error|note: <message>" lines
// (a fused location shows its first part and how many more there are), and
// turns a failed step into a CompileError carrying them all.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_COMPILER_DIAGNOSTICS_H
#define WEFT_COMPILER_DIAGNOSTICS_H

#include "mlir/IR/Diagnostics.h"

#include <string>

namespace weft {

/// Collects diagnostics into one message and turns a failure into an error.
class DiagnosticCollector {
public:
  explicit DiagnosticCollector(mlir::MLIRContext *ctx);
  /// Throws CompileError("<what> failed:\n<every diagnostic>").
  [[noreturn]] void fail(const std::string &what) const;
  /// The diagnostics collected so far.
  const std::string &text() const { return text_; }

private:
  std::string text_;
  mlir::ScopedDiagnosticHandler handler_;
};

} // namespace weft

#endif // WEFT_COMPILER_DIAGNOSTICS_H
