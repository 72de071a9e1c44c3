//===- Commands.h - the weft CLI's commands ---------------------*- C++ -*-===//
//
// This file declares the entry points of `weft compile` and `weft run`. Each
// takes the arguments after the command word (argv[0] is the command) and
// returns the process exit code; failures throw std::exception.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TOOLS_WEFT_COMMANDS_H
#define WEFT_TOOLS_WEFT_COMMANDS_H

namespace weft::cli {

int runCompile(int argc, char **argv);
int runRun(int argc, char **argv);

} // namespace weft::cli

#endif // WEFT_TOOLS_WEFT_COMMANDS_H
