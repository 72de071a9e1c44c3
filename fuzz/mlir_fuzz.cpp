//===- mlir_fuzz.cpp - fuzzing the .mlir parser and the weft verifiers -----===//
//
// This file implements the fuzz target of the weft dialect's textual IR: the
// input is parsed as a module (weft and func loaded, diagnostics swallowed) in
// a fresh single-threaded MLIRContext, then verified with mlir::verify (the
// ops' custom parsers, type inference and verifiers). Expected outcome: a
// parse or verification failure reported as diagnostics.
//
//===----------------------------------------------------------------------===//

#include "ir/WeftDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::MLIRContext context(mlir::MLIRContext::Threading::DISABLED);
  context.loadDialect<weft::WeftDialect, mlir::func::FuncDialect>();
  mlir::ScopedDiagnosticHandler swallow(&context,
                                        [](mlir::Diagnostic &) { return mlir::success(); });
  mlir::ParserConfig config(&context, /*verifyAfterParse=*/false);
  // MLIR's lexer reads up to a NUL after the text, which the file buffers of
  // `weft compile FILE.mlir` (parseSourceFile) and a std::string both have.
  std::string text(reinterpret_cast<const char *>(data), size);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(text, config, "<fuzz>");
  if (module)
    (void)mlir::verify(*module);
  return 0;
}
