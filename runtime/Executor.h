//===- Executor.h - runs a loaded Executable --------------------*- C++ -*-===//
//
// This file implements the Executor: it takes a validated Executable, gives it
// one device arena plus its own storage per parameter and per optimizer state
// buffer (STATE, zero-initialised), writes the constants, loads the steps as
// the Program of its target (runtime/Program.h: CpuProgram, CudaProgram), and
// then runs that program's steps in order. Callers bind parameters and inputs
// by name, read outputs, parameters and state back, and can time each step.
//
// Training steps: an output with `updates` is the new value of a parameter or
// state buffer, written into that buffer's own storage during the run, so the
// parameters and optimizer state persist on the device between runs; after
// run(), parameter(name) and state(name) return the updated values.
//
// SPMD programs (format 4): an Executable compiled for a mesh of N devices
// runs as N ranks, each with its own Executor and the rank's world
// Communicator (ExecutorOptions::communicator; MpiCommunicator::world() under
// mpirun). create() checks that the world has N ranks, splits one
// sub-communicator per distinct axes list of the collective steps (color: the
// rank's coordinates on the other axes, key: its index in the group) and
// writes each MESH_INDEX buffer. A collective step whose group does not
// complete in time fails the run with the ranks that did not arrive.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_EXECUTOR_H
#define WEFT_RUNTIME_EXECUTOR_H

#include "runtime/Device.h"
#include "runtime/Executable.h"
#include "runtime/HostTensor.h"
#include "runtime/comm/MeshShape.h"

#include <memory>
#include <string>
#include <vector>

namespace weft::rt {

class Program;
class Communicator;
class Executor;

/// How long one step took in the last run (with profiling on).
struct StepTime {
  std::string label;   // the step's label (op and source location)
  std::string kind;    // "gemm" or "kernel:<symbol>"
  std::string route;   // how the device ran it (Program::stepRoute), or ""
  double microseconds; // wall time of the step
};

/// Runs one Executable on one device. Not thread-safe.
/// How an Executor is created.
struct ExecutorOptions {
  /// The most device memory the program may take, in bytes (`--memory`);
  /// 0: what the device says it has left (runtime/MemoryNeeds.h).
  uint64_t memoryLimit = 0;
  /// This rank's world communicator when the Executable was compiled for a
  /// mesh: its size must be the mesh's number of ranks, its rank() is this
  /// rank's place in the mesh (row-major). Null: one device (a mesh of one
  /// rank then runs its collectives on a one-rank in-process group).
  std::shared_ptr<Communicator> communicator;
  /// Another Executor of the same target and device whose PARAMETER and
  /// STATE storage this one uses, instead of allocating its own, for each
  /// buffer of the same kind and name (dtype and shape must then match): the
  /// prefill and decode-step programs of a model sharing its weights and its
  /// key/value cache without a copy. Setting a shared buffer through either
  /// Executor sets it for both. It must outlive this Executor. One-device
  /// programs only.
  Executor *shareStorageWith = nullptr;
  /// Target "cuda": run the collectives of one-GPU groups on NCCL too (the
  /// path a mesh of several GPUs takes) instead of a copy on the stream; for
  /// checking that path on a machine with one GPU.
  bool ncclForOneGpuGroups = false;
};

class Executor {
public:
  /// Validates `exe`, opens the device of its target (the host for "cpu";
  /// for "cuda", GPU 0, or on a mesh of ranks the GPU of this rank's index on
  /// its node), allocates its arena and parameter storage, writes its
  /// constants and loads its kernels. Fails with the validation error, the
  /// device that cannot be opened (UNAVAILABLE), an allocation error or the
  /// kernel library/symbol that could not be loaded. Before allocating, the
  /// arena, parameters and optimizer state are checked against the budget
  /// (options.memoryLimit, else the device's free memory):
  /// RESOURCE_EXHAUSTED with both figures when they do not fit. A mesh whose
  /// number of ranks differs from the communicator's size (1 without one)
  /// is INVALID_ARGUMENT naming both; communicator errors while splitting
  /// the groups come back as they are.
  static StatusOr<std::unique_ptr<Executor>> create(Executable exe,
                                                    const ExecutorOptions &options = {});
  ~Executor();
  Executor(const Executor &) = delete;
  Executor &operator=(const Executor &) = delete;

  /// Names of the PARAMETER buffers, in buffer order.
  std::vector<std::string> parameterNames() const;
  /// Names of the STATE buffers (optimizer state), in buffer order.
  std::vector<std::string> stateNames() const;
  /// Names of the INPUT buffers, in buffer order.
  std::vector<std::string> inputNames() const;
  /// Names of the buffers in Executable.outputs, in output order.
  std::vector<std::string> outputNames() const;

  /// Values split over the mesh (Buffer.sharding): setParameter, setState
  /// and setInput take the whole value and keep this rank's piece; output,
  /// parameter and state return the whole value, gathered from every rank
  /// (a collective: every rank must call them in the same order).

  /// Copies `value` into parameter `name`; dtype and shape must match exactly.
  Status setParameter(const std::string &name, const HostTensor &value);
  /// Copies `value` into optimizer state `name` (to resume from a
  /// checkpoint); dtype and shape must match exactly. State starts at zero.
  Status setState(const std::string &name, const HostTensor &value);
  /// Copies `value` into input `name`; dtype and shape must match exactly.
  Status setInput(const std::string &name, const HostTensor &value);

  /// Runs every step in order. FAILED_PRECONDITION names the first parameter
  /// or input that is not set. Inputs whose arena bytes are reused by other
  /// buffers during the run must be set again before the next run.
  Status run();

  /// The i-th output of the last run.
  StatusOr<HostTensor> output(size_t i) const;
  /// The output named `name` of the last run.
  StatusOr<HostTensor> output(const std::string &name) const;
  /// The current value of parameter `name` (after a training step: the
  /// updated value).
  StatusOr<HostTensor> parameter(const std::string &name) const;
  /// The current value of optimizer state `name` (zeros before any run).
  StatusOr<HostTensor> state(const std::string &name) const;

  /// This rank's own piece of a PARAMETER, STATE or INPUT buffer, without
  /// any collective: for a buffer split over the mesh the piece's local
  /// shape (zero padding of an uneven split included, see
  /// runtime/ShardLayout.h), else the whole value. Sharded checkpoints and
  /// per-rank weight reads use these. NOT_FOUND for an unknown name,
  /// FAILED_PRECONDITION for a parameter or input not yet set.
  StatusOr<HostTensor> localPiece(proto::BufferKind kind, const std::string &name) const;
  /// Sets this rank's piece of a buffer (the counterpart of localPiece):
  /// dtype and local shape must match exactly.
  Status setLocalPiece(proto::BufferKind kind, const std::string &name, const HostTensor &piece);
  /// The buffer of `kind` named `name` (its dtype, local shape and
  /// sharding), or null.
  const proto::Buffer *buffer(proto::BufferKind kind, const std::string &name) const;

  /// Turns per-step timing on or off (off by default; it synchronizes per step).
  void setProfiling(bool enabled) { profiling_ = enabled; }
  /// For "cuda" executables: replay each run as one CUDA graph (on by
  /// default; WEFT_CUDA_GRAPHS=0 in the environment turns it off at
  /// create()). The first run launches step by step, the second captures the
  /// graph, later runs replay it. Runs with profiling on launch each step on
  /// its own and keep the graph for later runs. Ignored on the CPU.
  void setCudaGraphs(bool enabled) { cudaGraphs_ = enabled; }
  /// True when runs use CUDA graphs (see setCudaGraphs).
  bool cudaGraphs() const { return cudaGraphs_; }
  /// True once a run has captured the CUDA graph that later runs replay.
  bool cudaGraphCaptured() const;
  /// Per-step times of the last run made with profiling on.
  std::vector<StepTime> stepTimes() const { return stepTimes_; }

  const Executable &executable() const { return exe_; }
  /// The mesh the Executable was compiled for ("one device" without one).
  const MeshShape &mesh() const { return mesh_; }
  /// This rank's index in the mesh (0 for one device).
  int rank() const { return rank_; }

private:
  Executor(Executable exe, std::unique_ptr<Device> device);
  Status initialize();
  /// Splits world_ into the groups of the collective steps (stepComms_) and
  /// writes the MESH_INDEX buffers.
  Status initializeMesh();
  /// INVALID_ARGUMENT naming the first value of `value` outside [0,
  /// b.index_limit()).
  Status checkIndices(const proto::Buffer &b, const HostTensor &value) const;
  /// The id of buffer `name` of `kind`, or NOT_FOUND from `call` listing
  /// the known names.
  StatusOr<int> lookup(proto::BufferKind kind, const std::string &call, const std::string &name) const;
  Status bind(proto::BufferKind kind, const char *what, const std::string &name,
              const HostTensor &value);
  /// Copies `value` (exactly the buffer's bytes) into buffer `id`.
  Status bindBytes(int id, const std::string &name, const char *what, const HostTensor &value);
  /// The whole value of buffer `id`: its bytes, or for a buffer split over
  /// the mesh every rank's piece gathered (a collective over the world).
  StatusOr<HostTensor> readWhole(uint32_t id) const;
  int findBuffer(proto::BufferKind kind, const std::string &name) const;
  /// Whether buffer `id` holds a value (for a shared buffer: the owner's).
  bool isBound(size_t id) const;
  /// Step 3b of create(): the owner's storage for each shared buffer, or an
  /// error naming a buffer whose dtype or shape differs from the owner's.
  Status resolveSharedStorage();
  StatusOr<HostTensor> readBuffer(uint32_t id) const;
  Status runProfiled(); // every step on its own, timed into stepTimes_
  std::string where() const;

  Executable exe_;
  std::unique_ptr<Device> device_;
  void *arena_ = nullptr;
  std::vector<void *> ownStorage_;     // parameter and state allocations, freed on destruction
  std::vector<void *> address_;        // per buffer id: where its bytes live
  std::vector<bool> bound_;            // per buffer id: parameter/input has a value
  Executor *shareFrom_ = nullptr;      // ExecutorOptions::shareStorageWith
  std::vector<int> sharedFrom_;        // per buffer id: the owner's buffer id, or -1
  std::vector<std::vector<uint8_t>> staged_; // host copies of consumed inputs
  std::vector<bool> consumedByRun_;    // per buffer id: input whose bytes a run reuses
  std::unique_ptr<Program> program_;    // the steps, on device_
  bool hasOutputs_ = false;             // the last run completed
  bool profiling_ = false;
  bool cudaGraphs_ = true;              // set from WEFT_CUDA_GRAPHS in initialize()
  bool ncclForOneGpuGroups_ = false;    // ExecutorOptions::ncclForOneGpuGroups
  std::vector<StepTime> stepTimes_;
  MeshShape mesh_;                                     // the Executable's mesh
  int rank_ = 0;                                       // this rank in the mesh
  std::shared_ptr<Communicator> world_;                // every rank of the mesh
  std::vector<std::shared_ptr<Communicator>> groups_;  // one per distinct axes list
  std::vector<Communicator *> stepComms_;              // per step: its group, or null
};

} // namespace weft::rt

#endif // WEFT_RUNTIME_EXECUTOR_H
