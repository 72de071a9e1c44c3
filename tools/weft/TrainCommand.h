//===- TrainCommand.h - `weft train` ----------------------------*- C++ -*-===//
//
// This file declares the entry point of `weft train gpt2 ...`: flag parsing,
// the live progress line, held-out evaluation, checkpoints, the safetensors
// export and the final greedy sample, on top of train::Trainer.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TOOLS_WEFT_TRAINCOMMAND_H
#define WEFT_TOOLS_WEFT_TRAINCOMMAND_H

namespace weft::cli {

/// Runs `weft train`; argv[0] is "train". Returns the exit code (0 on
/// success, 2 for bad flags); failures of the run throw std::exception.
int runTrain(int argc, char **argv);

} // namespace weft::cli

#endif // WEFT_TOOLS_WEFT_TRAINCOMMAND_H
