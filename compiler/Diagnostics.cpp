//===- Diagnostics.cpp - compiler diagnostics into one error --------------===//
//
// This file implements DiagnosticCollector (Diagnostics.h).
//
//===----------------------------------------------------------------------===//

#include "compiler/Diagnostics.h"

#include "compiler/Compile.h"

#include "mlir/IR/Location.h"
#include "llvm/Support/raw_ostream.h"

namespace weft {
namespace {

/// Prints a location; a fused location (an op that replaced several) shows its
/// first part and how many more there are.
void printLocation(llvm::raw_ostream &os, mlir::Location loc) {
  if (auto fused = llvm::dyn_cast<mlir::FusedLoc>(loc); fused && !fused.getLocations().empty()) {
    os << fused.getLocations().front();
    if (fused.getLocations().size() > 1)
      os << " (fused with " << fused.getLocations().size() - 1 << " more)";
    return;
  }
  os << loc;
}

} // namespace

DiagnosticCollector::DiagnosticCollector(mlir::MLIRContext *ctx)
    : handler_(ctx, [this](mlir::Diagnostic &d) {
        llvm::raw_string_ostream os(text_);
        printLocation(os, d.getLocation());
        os << ": " << (d.getSeverity() == mlir::DiagnosticSeverity::Error ? "error" : "note")
           << ": " << d << "\n";
        for (mlir::Diagnostic &note : d.getNotes()) {
          printLocation(os, note.getLocation());
          os << ": note: " << note << "\n";
        }
        return mlir::success();
      }) {}

void DiagnosticCollector::fail(const std::string &what) const {
  throw CompileError(what + " failed:\n" + text_);
}

} // namespace weft
