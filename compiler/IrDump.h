//===- IrDump.h - one file per pass under --dump-ir -------------*- C++ -*-===//
//
// This file declares IrDumper, a pass instrumentation that writes the module
// after every pass to DIR/NN-<pass-flag>.mlir, numbered across all the pass
// managers of one compile, so a user can diff what each pass did.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_COMPILER_IRDUMP_H
#define WEFT_COMPILER_IRDUMP_H

#include <memory>
#include <string>

namespace mlir {
class Operation;
class PassManager;
} // namespace mlir

namespace weft {

/// Numbers and writes IR snapshots into one folder.
class IrDumper {
public:
  /// Creates `dir` if needed. Throws std::runtime_error if it cannot.
  explicit IrDumper(std::string dir);
  /// Writes `op`'s enclosing module as NN-<name>.mlir.
  void dump(mlir::Operation *op, const std::string &name);
  /// Creates the next numbered (empty) file NN-<name>.mlir; returns its path.
  std::string newFile(const std::string &name);
  /// Appends `op` (printed without locations) to `file`.
  void append(const std::string &file, mlir::Operation *op);
  /// Makes `pm` call dump() after each pass, named by the pass's flag.
  void attach(mlir::PassManager &pm);

private:
  std::string dir_;
  int counter_ = 0;
};

} // namespace weft

#endif // WEFT_COMPILER_IRDUMP_H
