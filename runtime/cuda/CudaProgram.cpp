//===- CudaProgram.cpp - the steps of a "cuda" Executable -----------------===//
//
// This file implements openCudaDevice and the CUDA CudaProgram. load():
//   1. loads exe.kernel_library as a cubin module (when there are kernels);
//   2. resolves the function of every CudaLaunch of every kernel;
//   3. per kernel-call step, stores the device address of each argument and
//      per launch the parameter array cuLaunchKernel reads (one pointer per
//      address the launch passes: CudaLaunch.args, or all);
//   4. per GEMM step, prepares a cuBLASLt plan (f32, bf16 or f16 with f32
//      accumulation, strict f32 without TF32; one workspace shared by all
//      GEMMs, 32 MiB; a bias/GELU epilogue with its bias address and the
//      bias buffer's dtype);
//   5. per collective step, stores its buffers and its group's communicator:
//      a group of several GPUs runs on NCCL (the Executor's communicator from
//      openGpuCommunicator, runtime/comm/NcclCommunicator.h); a group of one
//      GPU without one (a mesh axis of size 1, as a dp=1 mesh leaves them) is
//      a copy on the stream (or nothing, in place; zeros for a permute that
//      sends this rank nothing).
// A kernel-call step then enqueues the kernel's launches in order, a GEMM step
// its GEMM, on the device's stream; nothing waits, except a GEMM's first run, which autotunes
// its cuBLASLt algorithm (CublasLt.h; WEFT_GEMM_AUTOTUNE=0 turns it off) and
// waits for its timings. runAll() enqueues every step: with graphs on, the
// first run step by step (so tuning happens outside any capture), the second
// captures the steps as a CUDA graph and launches it, later runs replay it.
// A program with NCCL collectives is never captured: each collective waits for
// the stream with a deadline (so a dead rank is named, not waited for), which a
// capture cannot contain; its runs launch step by step.
//
//===----------------------------------------------------------------------===//

#include "runtime/cuda/CudaProgram.h"

#include "runtime/HostTensor.h"
#include "runtime/comm/CollectiveStep.h"
#include "runtime/comm/NcclCommunicator.h"
#include "runtime/cuda/CublasLt.h"
#include "runtime/cuda/CudaDevice.h"
#include "runtime/cuda/CudaGraph.h"

#include <array>
#include <cstdlib>
#include <cstring>

namespace weft::rt {

bool cudaRuntimeBuilt() { return true; }

bool cudaGraphsEnabledByEnvironment() {
  const char *v = std::getenv("WEFT_CUDA_GRAPHS");
  return !(v && std::strcmp(v, "0") == 0);
}

StatusOr<std::unique_ptr<Device>> openCudaDevice(int ordinal) {
  StatusOr<std::unique_ptr<cuda::CudaDevice>> dev = cuda::CudaDevice::open(ordinal);
  if (!dev.isOk())
    return dev.status();
  return std::unique_ptr<Device>(std::move(dev.value()));
}

StatusOr<std::shared_ptr<Communicator>> openGpuCommunicator(Device &gpu,
                                                            std::shared_ptr<Communicator> hostGroup) {
  auto *cudaDevice = dynamic_cast<cuda::CudaDevice *>(&gpu);
  if (!cudaDevice)
    return invalidArgument("nccl: the device '" + gpu.name() + "' is not a GPU");
  StatusOr<std::shared_ptr<NcclCommunicator>> nccl =
      NcclCommunicator::create(std::move(hostGroup), cudaDevice->stream());
  if (!nccl.isOk())
    return nccl.status();
  return std::shared_ptr<Communicator>(std::move(nccl.value()));
}

namespace {

/// cuBLASLt's workspace: enough for its fastest f32/tf32 algorithms on Hopper.
constexpr size_t kGemmWorkspaceBytes = size_t(32) << 20;

struct Launch {
  CUfunction fn = nullptr;
  std::array<unsigned, 3> grid{}, block{};
  std::string name;
  std::vector<uint32_t> args; // indices into the call's args; empty: all
};

class CudaProgramImpl final : public CudaProgram {
public:
  CudaProgramImpl(cuda::CudaDevice &device, const proto::Executable &exe)
      : CudaProgram(exe), device_(device) {}
  ~CudaProgramImpl() override {
    graph_.reset();
    gemms_.reset();
    if (module_)
      device_.driver().moduleUnload(module_);
  }

  Status load(const std::vector<void *> &addresses, const std::string &source,
              const std::vector<Communicator *> &stepComms);
  Status runAll(bool useGraph) override;
  bool graphCaptured() const override { return graph_ != nullptr; }

private:
  Status runKernelCall(int step) override;
  Status runGemm(int step) override;
  Status runCollective(int step) override;

  cuda::CudaDevice &device_;
  CUmodule module_ = nullptr;
  std::vector<std::vector<Launch>> kernels_;       // per kernel: its launches
  std::vector<std::vector<CUdeviceptr>> argValues_; // per step: argument addresses
  std::vector<std::vector<std::vector<void *>>> params_; // per step, per launch: into argValues_
  std::vector<size_t> gemmPlan_;                    // per step: cuBLASLt plan index
  std::unique_ptr<cuda::CublasLtGemms> gemms_;
  std::vector<const void *> gemmA_, gemmB_;
  std::vector<void *> gemmC_;
  std::vector<const void *> collectiveIn_;  // per step: a collective's input
  std::vector<void *> collectiveOut_;       // per step: its output
  std::vector<Communicator *> collectiveComm_; // per step: its NCCL group, or null (one GPU)
  std::unique_ptr<cuda::CudaGraph> graph_; // every step, captured by runAll(true)
  bool warmedUp_ = false;                  // a run has launched every step eagerly
  bool usesNccl_ = false;                  // a collective runs on NCCL: never captured
};

Status CudaProgramImpl::load(const std::vector<void *> &addresses, const std::string &source,
                             const std::vector<Communicator *> &stepComms) {
  const proto::Executable &p = exe();
  const std::string what = "the cubin of executable '" + source + "'";
  if (p.kernels_size() > 0) {
    StatusOr<CUmodule> module = device_.loadModule(p.kernel_library(), what);
    if (!module.isOk())
      return module.status();
    module_ = *module;
  }
  for (const proto::Kernel &k : p.kernels()) {
    std::vector<Launch> launches;
    for (const proto::CudaLaunch &l : k.cuda_launches()) {
      StatusOr<CUfunction> fn = device_.getFunction(module_, l.function(), what);
      if (!fn.isOk())
        return Status(fn.status().code(),
                      "kernel '" + k.symbol() + "': " + fn.status().message());
      launches.push_back({*fn,
                          {l.grid_x(), l.grid_y(), l.grid_z()},
                          {l.block_x(), l.block_y(), l.block_z()},
                          l.function(),
                          {l.args().begin(), l.args().end()}});
    }
    kernels_.push_back(std::move(launches));
  }
  size_t n = static_cast<size_t>(p.steps_size());
  argValues_.resize(n);
  params_.resize(n);
  gemmPlan_.assign(n, 0);
  gemmA_.assign(n, nullptr);
  gemmB_.assign(n, nullptr);
  gemmC_.assign(n, nullptr);
  for (size_t s = 0; s < n; ++s) {
    const proto::Step &step = p.steps(static_cast<int>(s));
    if (step.has_collective()) {
      const proto::Collective &c = step.collective();
      int64_t members = 1;
      for (uint32_t axis : c.axes())
        members *= p.mesh().axes(static_cast<int>(axis)).size();
      Communicator *comm = s < stepComms.size() ? stepComms[s] : nullptr;
      if (members > 1 && !comm)
        return invalidArgument("step " + std::to_string(s) + " '" + step.label() +
                               "': a collective over " + std::to_string(members) +
                               " GPUs needs its group's NCCL communicator (the Executor opens "
                               "one per group when the program runs on a mesh of ranks)");
      if (comm && comm->size() != members)
        return invalidArgument("step " + std::to_string(s) + " '" + step.label() + "': its group has " +
                               std::to_string(members) + " GPUs but the communicator " +
                               comm->groupName() + " has " + std::to_string(comm->size()));
      collectiveIn_.resize(n, nullptr);
      collectiveOut_.resize(n, nullptr);
      collectiveComm_.resize(n, nullptr);
      collectiveIn_[s] = addresses[c.input()];
      collectiveOut_[s] = addresses[c.output()];
      collectiveComm_[s] = comm;
      usesNccl_ = usesNccl_ || comm != nullptr;
      continue;
    }
    if (step.has_kernel_call()) {
      for (uint32_t arg : step.kernel_call().args())
        argValues_[s].push_back(static_cast<CUdeviceptr>(
            reinterpret_cast<uintptr_t>(addresses[arg])));
      // One parameter array per launch: the addresses of the args it lists
      // (all of them when it lists none).
      for (const Launch &l : kernels_[step.kernel_call().kernel()]) {
        std::vector<void *> &params = params_[s].emplace_back();
        if (l.args.empty())
          for (CUdeviceptr &v : argValues_[s])
            params.push_back(&v);
        for (uint32_t a : l.args)
          params.push_back(&argValues_[s][a]);
      }
      continue;
    }
    const proto::Gemm &g = step.gemm();
    if (!gemms_) {
      StatusOr<std::unique_ptr<cuda::CublasLtGemms>> gemms =
          cuda::CublasLtGemms::create(device_, kGemmWorkspaceBytes);
      if (!gemms.isOk())
        return gemms.status();
      gemms_ = std::move(gemms.value());
    }
    bool hasBias = g.epilogue() != proto::GEMM_EPILOGUE_NONE;
    StatusOr<size_t> plan = gemms_->plan(
        g, /*allowTf32=*/false, "step " + std::to_string(s) + " '" + step.label() + "'",
        hasBias ? addresses[g.bias()] : nullptr,
        hasBias ? p.buffers(static_cast<int>(g.bias())).dtype() : proto::F32);
    if (!plan.isOk())
      return plan.status();
    gemmPlan_[s] = *plan;
    gemmA_[s] = addresses[g.a()];
    gemmB_[s] = addresses[g.b()];
    gemmC_[s] = addresses[g.c()];
  }
  return Status::ok();
}

Status CudaProgramImpl::runGemm(int step) {
  return gemms_->run(gemmPlan_[step], gemmA_[step], gemmB_[step], gemmC_[step]);
}

Status CudaProgramImpl::runCollective(int step) {
  const proto::Collective &c = exe().steps(step).collective();
  if (Communicator *comm = collectiveComm_[static_cast<size_t>(step)])
    return runCollectiveStep(*comm, c, collectiveIn_[static_cast<size_t>(step)],
                             collectiveOut_[static_cast<size_t>(step)], exe().steps(step).label());
  // A group of one GPU: the sum over one member, the gather or scatter of one
  // block, a move to oneself are the block itself.
  const size_t bytes = static_cast<size_t>(c.count()) * dtypeSize(c.dtype());
  const void *in = collectiveIn_[static_cast<size_t>(step)];
  void *out = collectiveOut_[static_cast<size_t>(step)];
  if (c.kind() == proto::PERMUTE && c.pairs_size() == 0)
    return device_.zero(out, bytes); // nothing is sent to this rank
  if (in == out)
    return Status::ok();
  return device_.copyOnDevice(out, in, bytes);
}

Status CudaProgramImpl::runKernelCall(int step) {
  uint32_t k = exe().steps(step).kernel_call().kernel();
  for (size_t i = 0; i < kernels_[k].size(); ++i) {
    Launch &l = kernels_[k][i];
    WEFT_RETURN_IF_ERROR(device_.launch(l.fn, l.grid.data(), l.block.data(),
                                        params_[step][i].data(),
                                        exe().kernels(static_cast<int>(k)).symbol() + "/" +
                                            l.name));
  }
  return Status::ok();
}

Status CudaProgramImpl::runAll(bool useGraph) {
  if (!useGraph || !warmedUp_ || usesNccl_) {
    // The first run launches step by step: module functions and cuBLASLt's
    // kernels load then, and each GEMM plan is autotuned, outside any capture
    // (as PyTorch warms up before capturing). Each run executes the steps
    // exactly once.
    WEFT_RETURN_IF_ERROR(runEachStep());
    warmedUp_ = true;
    return Status::ok();
  }
  if (!graph_) {
    StatusOr<std::unique_ptr<cuda::CudaGraph>> graph =
        cuda::CudaGraph::capture(device_, [this] { return runEachStep(); });
    if (!graph.isOk())
      return graph.status();
    graph_ = std::move(graph.value());
  }
  return graph_->launch();
}

} // namespace

StatusOr<std::unique_ptr<CudaProgram>> CudaProgram::load(Device &device,
                                                         const proto::Executable &exe,
                                                         const std::vector<void *> &addresses,
                                                         const std::string &source,
                                                         const std::vector<Communicator *> &stepComms) {
  auto *cudaDevice = dynamic_cast<cuda::CudaDevice *>(&device);
  if (!cudaDevice)
    return invalidArgument("cuda: executable '" + source + "' targets cuda but the device '" +
                           device.name() + "' is not a GPU");
  auto program = std::make_unique<CudaProgramImpl>(*cudaDevice, exe);
  WEFT_RETURN_IF_ERROR(program->load(addresses, source, stepComms));
  return std::unique_ptr<CudaProgram>(std::move(program));
}

} // namespace weft::rt
