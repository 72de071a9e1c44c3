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
#include <map>
#include <stdexcept>

namespace weft {
namespace {

/// Dumps after every pass. A pass that runs on the module is dumped once; a
/// pass nested on functions runs once per function, so its file collects the
/// function after that pass for each function it ran on. The pass adaptors
/// that drive nested pipelines are not passes of their own and are skipped.
struct DumpAfterPass : mlir::PassInstrumentation {
  explicit DumpAfterPass(IrDumper &dumper) : dumper(dumper) {}
  void runAfterPass(mlir::Pass *pass, mlir::Operation *op) override {
    if (pass->getName().contains("OpToOpPassAdaptor")) {
      nestedFiles.clear();
      return;
    }
    std::string name = pass->getArgument().str();
    if (name.empty())
      name = pass->getName().str();
    if (llvm::isa<mlir::ModuleOp>(op)) {
      dumper.dump(op, name);
      return;
    }
    auto it = nestedFiles.find(pass);
    if (it == nestedFiles.end())
      it = nestedFiles.emplace(pass, dumper.newFile(name)).first;
    dumper.append(it->second, op);
  }
  IrDumper &dumper;
  std::map<const mlir::Pass *, std::string> nestedFiles;
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
  append(newFile(name), op);
}

std::string IrDumper::newFile(const std::string &name) {
  char index[16];
  std::snprintf(index, sizeof(index), "%02d", counter_++);
  std::string file = dir_ + "/" + index + "-" + name + ".mlir";
  std::error_code ec;
  llvm::raw_fd_ostream os(file, ec);
  if (ec)
    throw std::runtime_error("cannot write IR dump '" + file +
                             "': " + ec.message());
  return file;
}

void IrDumper::append(const std::string &file, mlir::Operation *op) {
  std::error_code ec;
  llvm::raw_fd_ostream os(file, ec, llvm::sys::fs::OF_Append);
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
