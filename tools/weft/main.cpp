//===- main.cpp - the weft command line -----------------------------------===//
//
// This file implements the `weft` tool's entry point: it dispatches to the
// subcommand (Commands.h)
//   weft compile MODEL|FILE.mlir [flags] -o OUT.wexe   compile (cached)
//   weft run MODEL|FILE.mlir|FILE.wexe [flags]          compile if needed, run
//   weft train gpt2|llama --data FILE [flags]           train
//   weft launch -n N [mpirun flags] -- weft COMMAND ...  N ranks under mpirun
//   weft calibrate [-o FILE.json] [--quick]              measure this machine
//   weft tokenize [--tokenizer FILE|DIR] (--text T | --file F | --decode IDS)
//   weft generate gpt2|llama --weights W (--prompt T | ...) text with a KV cache
//                                                        text <-> token ids
// and turns its errors into messages and exit codes: 2 for a bad command
// line (FlagError, with a usage hint), 1 for a failure of the work.
// `weft COMMAND --help` lists a command's flags.
//
//===----------------------------------------------------------------------===//

#include "tools/weft/Commands.h"
#include "tools/weft/Flags.h"

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

namespace {

/// A subcommand: its name, usage line and entry point.
struct Command {
  const char *name, *usage;
  int (*run)(int, char **);
};

const Command kCommands[] = {
    {"compile", weft::cli::kCompileUsage, weft::cli::runCompile},
    {"run", weft::cli::kRunUsage, weft::cli::runRun},
    {"train", weft::cli::kTrainUsage, weft::cli::runTrain},
    {"launch", weft::cli::kLaunchUsage, weft::cli::runLaunch},
    {"plan", weft::cli::kPlanUsage, weft::cli::runPlan},
    {"estimate", weft::cli::kEstimateUsage, weft::cli::runEstimate},
    {"calibrate", weft::cli::kCalibrateUsage, weft::cli::runCalibrate},
    {"tokenize", weft::cli::kTokenizeUsage, weft::cli::runTokenize},
    {"generate", weft::cli::kGenerateUsage, weft::cli::runGenerate},
};

std::string usage() {
  std::string s;
  for (const Command &c : kCommands)
    s += std::string(s.empty() ? "usage: " : "       ") + c.usage + "\n";
  return s + "MODEL: gpt2, llama, mlp. `weft COMMAND --help` lists the flags.\n";
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    std::fputs(usage().c_str(), argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  for (const Command &c : kCommands) {
    if (std::strcmp(argv[1], c.name))
      continue;
    try {
      return c.run(argc - 1, argv + 1);
    } catch (const weft::cli::FlagError &e) {
      std::fprintf(stderr, "weft %s: error: %s\nusage: %s (`weft %s --help` lists the flags)\n",
                   c.name, e.what(), c.usage, c.name);
      return 2;
    } catch (const std::exception &e) {
      std::fprintf(stderr, "weft %s: error: %s\n", c.name, e.what());
      return 1;
    }
  }
  std::fprintf(stderr, "weft: unknown command '%s'\n%s", argv[1], usage().c_str());
  return 2;
}
