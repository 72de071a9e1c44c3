//===- Commands.h - the weft CLI's subcommands ------------------*- C++ -*-===//
//
// This file declares the entry points of the weft subcommands (compile, run,
// train, plan, estimate, launch, calibrate, tokenize, generate; one file
// each, e.g. EstimateCommand.cpp) and their
// usage lines. Each entry point takes the
// arguments after `weft` (argv[0] is the command word) and returns the exit
// code; a bad command line throws FlagError (exit 2), a failure of the work
// std::exception (exit 1).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TOOLS_WEFT_COMMANDS_H
#define WEFT_TOOLS_WEFT_COMMANDS_H

namespace weft::cli {

/// The usage lines, shown by `weft`, each command's --help and flag errors.
inline constexpr const char *kCompileUsage = "weft compile MODEL|FILE.mlir [flags] -o OUT.wexe";
inline constexpr const char *kRunUsage = "weft run MODEL|FILE.mlir|FILE.wexe [flags]";
inline constexpr const char *kTrainUsage = "weft train gpt2|llama --data FILE [flags]";
inline constexpr const char *kPlanUsage = "weft plan gpt2 [--config C.json] --devices N [flags]";
inline constexpr const char *kEstimateUsage =
    "weft estimate MODEL [--config C.json] [--batch B --seq T] [--train|--infer] [--precision P] "
    "[--recompute blocks] [--lora SPEC] [--quantize int8-weight|llm-int8 [--lm-head int8|f32]] [--devices N --zero L] [--micro-batches K] [--memory GiB]";
inline constexpr const char *kLaunchUsage = "weft launch -n N [mpirun flags] -- weft COMMAND ...";
inline constexpr const char *kCalibrateUsage = "weft calibrate [-o FILE.json] [--quick] [--check small|tiny|CONFIG.json] "
                                                 "[--target cpu|cuda] [--export DIR]";
inline constexpr const char *kGenerateUsage =
    "weft generate gpt2|llama --weights W.safetensors [--config C.json] [--tokenizer FILE|DIR] (--prompt T | "
    "--prompts-file F | --tokens IDS) [--max-new-tokens N] [--do-sample ...] [--num-beams B ...]";

inline constexpr const char *kTokenizeUsage =
    "weft tokenize [--tokenizer FILE|DIR] (--text T | --file F | --decode IDS) [--json]";

/// `weft compile`: compiles a model (cached) to an Executable or, with
/// --compile-to, to the IR of a phase.
int runCompile(int argc, char **argv);
/// `weft run`: compiles (or loads) a model and runs it once or --repeat times.
int runRun(int argc, char **argv);
/// `weft train`: trains GPT-2 on a text or token file (train::Trainer).
int runTrain(int argc, char **argv);
/// `weft plan`: the strategy search's plan for N devices (PlanCommand.cpp).
int runPlan(int argc, char **argv);
/// `weft estimate`: one device's memory from the compiler's plan (EstimateCommand.cpp).
int runEstimate(int argc, char **argv);
/// `weft launch`: runs N ranks of a command under mpirun; returns its status.
int runLaunch(int argc, char **argv);
/// `weft calibrate`: measures this machine and writes a cluster description.
int runCalibrate(int argc, char **argv);
/// `weft tokenize`: text to token ids and back (TokenizeCommand.cpp).
int runTokenize(int argc, char **argv);
/// `weft generate`: text from GPT-2 with a compiled KV cache and Hugging Face's controls.
int runGenerate(int argc, char **argv);

} // namespace weft::cli

#endif // WEFT_TOOLS_WEFT_COMMANDS_H
