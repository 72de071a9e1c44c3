//===- IrDump.cpp - one file per pass under --dump-ir ---------------------===//
//
// This file implements IrDumper (see IrDump.h).
//
//===----------------------------------------------------------------------===//

#include "compiler/IrDump.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassInstrumentation.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>
#include <stdexcept>

namespace weft {
namespace {

struct DumpAfterPass : mlir::PassInstrumentation {
  explicit DumpAfterPass(IrDumper &dumper) : dumper(dumper) {}
  void runAfterPass(mlir::Pass *pass, mlir::Operation *op) override {
    std::string name = pass->getArgument().str();
    if (name.empty())
      name = pass->getName().str();
    dumper.dump(op, name);
  }
  IrDumper &dumper;
};

} // namespace

IrDumper::IrDumper(std::string dir) : dir_(std::move(dir)) {
  if (std::error_code ec = llvm::sys::fs::create_directories(dir_))
    throw std::runtime_error("cannot create --dump-ir folder '" + dir_ +
                             "': " + ec.message());
}

void IrDumper::dump(mlir::Operation *op, const std::string &name) {
  while (op->getParentOp() && !llvm::isa<mlir::ModuleOp>(op))
    op = op->getParentOp();
  char index[16];
  std::snprintf(index, sizeof(index), "%02d", counter_++);
  std::string file = dir_ + "/" + index + "-" + name + ".mlir";
  std::error_code ec;
  llvm::raw_fd_ostream os(file, ec);
  if (ec)
    throw std::runtime_error("cannot write IR dump '" + file +
                             "': " + ec.message());
  op->print(os, mlir::OpPrintingFlags().enableDebugInfo(false));
  os << "\n";
}

void IrDumper::attach(mlir::PassManager &pm) {
  pm.addInstrumentation(std::make_unique<DumpAfterPass>(*this));
}

} // namespace weft
