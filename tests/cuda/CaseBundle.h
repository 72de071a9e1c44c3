//===- CaseBundle.h - compiled programs with their expected results -*- C++ -*-===//
//
// This file implements the declaration of case bundles: a "cuda" Executable
// (<name>.wexe) next to a safetensors file (<name>.safetensors) holding the
// values to bind ("param.<name>", "input.<name>"), the expected outputs
// ("want.<i>", from the reference evaluator; optionally "cpu.<i>", from the
// CPU back end) and their tolerances (metadata "atol.<i>", "rtol.<i>",
// "cpu_atol", "cpu_rtol"). The code generator tests write them where MLIR is
// available; the runtime-only runner executes them on a GPU machine.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TESTS_CUDA_CASEBUNDLE_H
#define WEFT_TESTS_CUDA_CASEBUNDLE_H

#include "runtime/Executable.h"
#include "runtime/HostTensor.h"

#include <string>
#include <utility>
#include <vector>

namespace weft::test {

/// |got - want| <= atol + rtol * |want| element by element.
struct CaseTolerance {
  double atol = 0;
  double rtol = 0;
};

/// Everything a bundle holds besides the Executable.
struct CaseData {
  std::vector<std::pair<std::string, rt::HostTensor>> params, inputs;
  std::vector<rt::HostTensor> want;      ///< reference outputs
  std::vector<CaseTolerance> tolerances; ///< per output
  std::vector<rt::HostTensor> cpu;       ///< CPU back end outputs (optional)
  CaseTolerance cpuTolerance;
};

/// The folder named by WEFT_CUDA_CASES_OUT (created), where the code
/// generator tests write their bundles; empty when the variable is unset.
std::string casesOut();

/// Writes <dir>/<name>.wexe and <dir>/<name>.safetensors.
rt::Status writeCase(const std::string &dir, const std::string &name, const rt::Executable &exe,
                     const CaseData &data);

/// How one run of a bundle compared.
struct CaseResult {
  rt::Status status;    ///< not ok: the case could not run (UNAVAILABLE: no GPU)
  int64_t badElements = 0;
  double worstRatio = 0; ///< max over elements of |err| / allowance (<= 1 passes)
  double maxAbsError = 0;
  std::string report; ///< one line per output: errors against the reference and the CPU
};

/// Loads <wexePath> and the safetensors next to it, runs it on its target's
/// device, and compares every output.
CaseResult runCase(const std::string &wexePath);

/// The outputs of the bundle at <wexePath> after `runs` runs (inputs bound
/// anew before each) with CUDA graphs on or off; `graphCaptured` tells
/// whether the runs replayed a captured graph.
rt::StatusOr<std::vector<rt::HostTensor>> runCaseOutputs(const std::string &wexePath,
                                                         bool cudaGraphs, int runs,
                                                         bool &graphCaptured);

/// Executes the bundle with `warmup` + `iterations` runs and returns the
/// median wall time of one run in microseconds (each run synchronizes).
rt::StatusOr<double> timeCase(const std::string &wexePath, int warmup, int iterations);

} // namespace weft::test

#endif // WEFT_TESTS_CUDA_CASEBUNDLE_H
