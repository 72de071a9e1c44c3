//===- CpuFeatures.h - the x86 features CPU kernels need --------*- C++ -*-===//
//
// This file declares the check that a "cpu" Executable's kernels can run on
// this processor. The code generator compiles kernels for the compiling
// host's CPU (AVX-512 on the development machines) and records, in
// Executable.cpu_features, every instruction-set feature it enabled that
// this file knows how to look up; the runtime refuses to load the kernels on
// a processor that lacks one, with the feature's name, instead of dying of
// SIGILL in the first kernel. Features are named as LLVM names them
// ("avx512f", "avx512bf16") and looked up in /proc/cpuinfo's flags.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_CPUFEATURES_H
#define WEFT_RUNTIME_CPUFEATURES_H

#include "runtime/Status.h"

#include <string>
#include <vector>

namespace weft::rt {

/// The LLVM feature names the runtime can check (the vector, bit-manipulation
/// and matrix extensions that generated code uses), in a fixed order.
const std::vector<std::string> &checkableCpuFeatures();

/// The /proc/cpuinfo flag of LLVM feature `feature`, or "" when it is not one
/// of checkableCpuFeatures().
std::string cpuinfoFlag(const std::string &feature);

/// OK when every feature of `required` is in `available` (/proc/cpuinfo
/// flags); otherwise FAILED_PRECONDITION naming `source` and the missing
/// features. An unknown feature name is INVALID_ARGUMENT (a corrupt file).
Status checkCpuFeatures(const std::vector<std::string> &required,
                        const std::vector<std::string> &available, const std::string &source);

/// The flags of the first processor in /proc/cpuinfo (empty when unreadable).
const std::vector<std::string> &hostCpuinfoFlags();

/// checkCpuFeatures against this processor; OK without a check where
/// /proc/cpuinfo cannot be read.
Status checkHostCpuFeatures(const std::vector<std::string> &required, const std::string &source);

} // namespace weft::rt

#endif // WEFT_RUNTIME_CPUFEATURES_H
