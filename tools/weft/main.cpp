//===- main.cpp - the weft command line -----------------------------------===//
//
// This file implements the `weft` tool:
//   weft compile MODEL|FILE.mlir [flags] -o OUT.wexe   compile (cached)
//   weft run MODEL|FILE.wexe [flags]                     compile if needed, run
//   weft train gpt2 --data FILE [flags]                  train (tools/weft/train/)
// MODEL is a catalog model (gpt2, mlp). Compile flags include --dump-ir=DIR,
// --compile-to=PHASE and MLIR's pass-manager options (--mlir-print-ir-after-all,
// --mlir-timing). `weft COMMAND --help` lists everything.
//
//===----------------------------------------------------------------------===//

#include "tools/weft/Commands.h"
#include "tools/weft/TrainCommand.h"

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

int main(int argc, char **argv) {
  const char *usage =
      "usage: weft compile MODEL|FILE.mlir [flags] -o OUT.wexe\n"
      "       weft run MODEL|FILE.wexe [flags]\n"
      "       weft train gpt2 --data FILE [flags]\n"
      "MODEL: gpt2, mlp. `weft COMMAND --help` lists the flags.\n";
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    std::fputs(usage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  std::string command = argv[1];
  try {
    if (command == "compile")
      return weft::cli::runCompile(argc - 1, argv + 1);
    if (command == "run")
      return weft::cli::runRun(argc - 1, argv + 1);
    if (command == "train")
      return weft::cli::runTrain(argc - 1, argv + 1);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "weft %s: error: %s\n", command.c_str(), e.what());
    return 1;
  }
  std::fprintf(stderr, "weft: unknown command '%s'\n%s", command.c_str(), usage);
  return 2;
}
