//===- ExecutableTimer.h - timing one compiled program on its device -*- C++ -*-===//
//
// This file declares how a calibration times a device: one compiled program
// (an Executable of any target) is loaded by the runtime's Executor on the
// device of its target, its inputs are filled with values in [-1, 1), and it
// runs warm-up and timed runs; a sample is the sum of its steps' times (the
// Executor's profiler: each step on its own, then a synchronize) or a whole
// run. Under mpirun every rank times its own copy at the same moment (a
// barrier before each run), as the devices of a parallel program share the
// machine; with more ranks than cores each sample is a sustained stretch of
// runs (TimingPlan::sustainSeconds). Runtime only (no compiler): `weft
// calibrate` times what it has just compiled, `weft-calibrate-bundle` what
// was compiled on another machine.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_CALIBRATE_EXECUTABLETIMER_H
#define WEFT_CALIBRATE_EXECUTABLETIMER_H

#include "runtime/Executable.h"
#include "runtime/Status.h"
#include "runtime/comm/Communicator.h"

#include <string>
#include <vector>

namespace weft::calibrate {

/// How often a program runs: untimed warm-up runs, then timed ones.
struct TimingPlan {
  int warmup = 2;
  int runs = 7;
  /// Time the program's steps (the Executor's profiler, their sum) instead
  /// of whole runs: a kernel's own time, without the run's staging of inputs.
  bool stepsOnly = false;
  /// When > 0, each timed sample runs the program back to back (no barrier
  /// between the runs) for at least this many seconds and reports the mean
  /// run. Ranks that outnumber the cores need it: a run shorter than the
  /// scheduler's time slice is otherwise timed on a core of its own while
  /// the other ranks wait, but a parallel step's ops share the cores.
  double sustainSeconds = 0;
  /// When > 0, `runs` is chosen at run time: about this many seconds of
  /// timed runs judged by the last warm-up run, between `leastRuns` and
  /// `mostRuns` (a plan made where the program cannot run, e.g. in a bundle
  /// compiled for another machine's device).
  double budgetSeconds = 0;
  int leastRuns = 3, mostRuns = 30;
};

/// The median seconds of one run of a program, and its compile.
struct KernelTiming {
  double seconds = 0;
  std::vector<double> samples; ///< every timed run's seconds, in order
  int runs = 0;
  double compileSeconds = 0;
  bool cacheHit = false;
};

/// Times `exe` per `plan` on the device of its target (the host for "cpu",
/// GPU 0 for "cuda"), its inputs filled with values in [-1, 1) (f32, bf16 and
/// f16; another input dtype is INVALID_ARGUMENT naming it). With `group`,
/// every run starts after a barrier of the group. `what` names the program
/// in errors, which come back as the Executor gives them (a device that
/// cannot be opened is UNAVAILABLE).
rt::StatusOr<KernelTiming> timeExecutable(const std::string &what, rt::Executable exe, const TimingPlan &plan,
                                          rt::Communicator *group = nullptr);

} // namespace weft::calibrate

#endif // WEFT_CALIBRATE_EXECUTABLETIMER_H
