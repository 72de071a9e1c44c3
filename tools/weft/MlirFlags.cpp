//===- MlirFlags.cpp - MLIR's debugging options on the weft CLI -----------===//
//
// This file implements declareMlirFlags and configureMlirPassManager (see
// MlirFlags.h): registering MLIR's llvm::cl options, forwarding `--mlir-*`
// arguments to llvm::cl, and applying the pass-manager and timing options to
// the compile's pass managers.
//
//===----------------------------------------------------------------------===//

#include "tools/weft/MlirFlags.h"

#include "tools/weft/Flags.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace cl = llvm::cl;

namespace weft::cli {
namespace {

constexpr const char *kPrefix = "mlir-";

/// The registered llvm::cl option `name` when it is one of MLIR's.
cl::Option *mlirOption(const std::string &name) {
  if (name.rfind(kPrefix, 0) != 0)
    return nullptr;
  auto &options = cl::getRegisteredOptions();
  auto it = options.find(name);
  return it == options.end() ? nullptr : it->second;
}

/// Whether MLIR's option `name` takes the next argument as its value.
bool takesValue(const std::string &name) {
  cl::Option *option = mlirOption(name);
  return option && option->getValueExpectedFlag() == cl::ValueRequired;
}

/// The name in `--name[=value]`.
std::string optionName(const std::string &arg) {
  return arg.substr(2, arg.find('=') == std::string::npos ? std::string::npos : arg.find('=') - 2);
}

/// Hands the `--mlir-*` arguments to llvm::cl; `argv0` ("weft compile")
/// names the command in llvm::cl's messages.
void parseMlirOptions(const std::string &argv0, const std::vector<std::string> &args) {
  std::vector<const char *> argv = {argv0.c_str()};
  // The same walk as FlagSet::parse: an option, then its value when it
  // takes one and has no "=value".
  for (size_t i = 0; i < args.size(); ++i) {
    std::string name = optionName(args[i]);
    if (!mlirOption(name))
      throw FlagError("unknown flag '--" + name + "'");
    argv.push_back(args[i].c_str());
    if (args[i].find('=') == std::string::npos && takesValue(name) && i + 1 < args.size())
      argv.push_back(args[++i].c_str());
  }
  std::string errors;
  llvm::raw_string_ostream os(errors);
  if (!cl::ParseCommandLineOptions(int(argv.size()), argv.data(), "", &os)) {
    os.flush();
    // llvm::cl writes "weft CMD: MESSAGE\n" to `os`, or for a bad value
    // straight to stderr; the caller adds its own prefix.
    if (llvm::StringRef(errors).starts_with(argv0 + ": "))
      errors.erase(0, argv0.size() + 2);
    errors = llvm::StringRef(errors).rtrim().str();
    throw FlagError(errors.empty() ? "MLIR rejected an option's value (see above)" : errors);
  }
}

} // namespace

void declareMlirFlags(FlagSet &flags) {
  mlir::registerPassManagerCLOptions();
  mlir::registerDefaultTimingManagerCLOptions();
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  std::string argv0 = "weft " + flags.command();
  flags.forward(kPrefix, takesValue,
                [argv0](const std::vector<std::string> &args) { parseMlirOptions(argv0, args); });
  flags.section("Debugging (MLIR's options)");
  for (const char *name : {"mlir-print-ir-after-all", "mlir-print-ir-before-all",
                           "mlir-print-ir-after-failure", "mlir-print-debuginfo", "mlir-timing"})
    if (cl::Option *option = mlirOption(name))
      flags.describe("--" + std::string(name), option->HelpStr.str());
  flags.describe("--mlir-*", "MLIR's other pass-manager, timing, printer and context options, "
                             "as mlir-opt takes them (e.g. --mlir-print-ir-after=PASS)");
}

void configureMlirPassManager(mlir::PassManager &pm) {
  if (mlir::failed(mlir::applyPassManagerCLOptions(pm)))
    throw std::runtime_error("bad pass manager options");
  mlir::applyDefaultTimingPassManagerCLOptions(pm);
}

} // namespace weft::cli
