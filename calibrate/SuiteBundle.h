//===- SuiteBundle.h - a device suite compiled for another machine -*- C++ -*-===//
//
// This file declares the suite bundle: a folder holding a device suite's
// programs compiled for one target, so that a machine with the runtime but
// without the compiler (MLIR, LLVM) can time them: `weft calibrate --target
// cuda --export DIR` writes one here, `weft-calibrate-bundle DIR` measures
// the GPU there. The folder holds suite.json, {"format":
// "weft-device-suite", "version": 1, "target", "quick", "probes": [names in
// order]}, and one NAME.wexe per probe. The reader rebuilds the suite from
// the target and quick flag and refuses a bundle whose probes differ (one
// written by another version of the suite), a missing or corrupt program, or
// a program compiled for another target, naming the file. The folder is
// written whole or not at all: into a temporary folder beside it, then
// renamed; an older bundle in its place is replaced, any other non-empty
// folder is refused.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_CALIBRATE_SUITEBUNDLE_H
#define WEFT_CALIBRATE_SUITEBUNDLE_H

#include "calibrate/DeviceSuite.h"
#include "runtime/Executable.h"

#include <string>
#include <vector>

namespace weft::calibrate {

struct SuiteBundle {
  DeviceSuite suite;
  std::vector<rt::Executable> executables; ///< one per probe, in order
};

/// Writes `executables` (one per probe of `suite`, each compiled for
/// suite.target) as a bundle folder `dir`.
rt::Status writeSuiteBundle(const DeviceSuite &suite, const std::vector<rt::Executable> &executables,
                            const std::string &dir);

/// Reads and checks the bundle folder `dir`.
rt::StatusOr<SuiteBundle> readSuiteBundle(const std::string &dir);

} // namespace weft::calibrate

#endif // WEFT_CALIBRATE_SUITEBUNDLE_H
