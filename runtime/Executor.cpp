//===- Executor.cpp - runs a loaded Executable ----------------------------===//
//
// This file implements the Executor. create():
//   1. validates the Executable (every later access is then in bounds) and
//      checks that its arena, parameters and optimizer state fit the memory
//      budget (runtime/MemoryNeeds.h) before allocating anything;
//   2. allocates one arena of arena_size bytes (aligned to arena_alignment,
//      at least 64) and zeroes it, then writes every CONSTANT's data into it
//      (a splat's one element repeated);
//   3. allocates aligned storage for each PARAMETER and each STATE (the
//      latter zero-filled and bound: optimizer state starts at zero), except
//      those shared with ExecutorOptions::shareStorageWith, which take the
//      owner's storage (same kind, name, dtype and shape);
//   4. resolves each buffer's address: arena base + arena_offset, its own
//      storage for parameters, the target's address for an alias;
//   5. for a mesh: splits the world communicator into one group per distinct
//      axes list of the collective steps (for target "cuda", a group of
//      several GPUs becomes an NCCL communicator bootstrapped over it) and
//      writes each MESH_INDEX buffer (this rank's index in the group of its
//      mesh_axes);
//   6. loads the steps as the Program of the target, bound to those
//      addresses: CpuProgram (the kernel library, BLAS GEMMs, collectives on
//      the groups) on the host, or, for target "cuda", CudaProgram (the
//      cubin, cuBLASLt GEMMs, NCCL collectives) on the rank's GPU: the one
//      whose ordinal is the rank's index on its node (runtime/cuda/).
// run() then has the program run every step in order (with profiling on, one
// step at a time, waiting for each). An OUTPUT with `updates` aliases its
// PARAMETER/STATE buffer, so a run leaves the new values in the parameter's
// own storage: the next run reads them without any copy.
//
//===----------------------------------------------------------------------===//

#include "runtime/Executor.h"
#include "runtime/cpu/FloatControl.h"
#include "runtime/CpuDevice.h"
#include "runtime/CpuProgram.h"
#include "runtime/MemoryNeeds.h"
#include "runtime/Program.h"
#include "runtime/comm/Communicator.h"
#include "runtime/comm/InProcessCommunicator.h"
#include "runtime/comm/MpiEnvironment.h"
#include "runtime/comm/ShardedBuffer.h"
#include "runtime/cuda/CudaProgram.h"

#include <algorithm>
#include <chrono>
#include <cstring>

namespace weft::rt {

namespace {

std::vector<int64_t> shapeOf(const proto::Buffer &b) {
  return {b.shape().begin(), b.shape().end()};
}

bool ownsStorage(const proto::Buffer &b) {
  return b.kind() == proto::PARAMETER || b.kind() == proto::STATE;
}

bool livesInArena(const proto::Buffer &b) {
  return !b.has_alias_of() && !ownsStorage(b);
}

/// The names of the buffers of `kind`, in buffer order.
std::vector<std::string> namesOfKind(const proto::Executable &p, proto::BufferKind kind) {
  std::vector<std::string> names;
  for (const proto::Buffer &b : p.buffers())
    if (b.kind() == kind)
      names.push_back(b.name());
  return names;
}

/// `loaded` as a Program.
template <typename ProgramT>
StatusOr<std::unique_ptr<Program>> asProgram(StatusOr<std::unique_ptr<ProgramT>> loaded) {
  if (!loaded.isOk())
    return loaded.status();
  return std::unique_ptr<Program>(std::move(loaded).value());
}

/// The steps of `p` on `device`, bound to `addresses` (per buffer id).
StatusOr<std::unique_ptr<Program>> loadProgram(Device &device, const proto::Executable &p,
                                               const std::vector<void *> &addresses,
                                               const std::string &source,
                                               const std::vector<Communicator *> &stepComms) {
  if (p.target() == "cuda")
    return asProgram(CudaProgram::load(device, p, addresses, source, stepComms));
  return asProgram(CpuProgram::load(p, addresses, source, stepComms));
}

/// The world communicator for `mesh`: `given`, which must have as many ranks
/// as the mesh; without one, a one-rank in-process group for a one-rank mesh.
StatusOr<std::shared_ptr<Communicator>> worldFor(const MeshShape &mesh,
                                                 std::shared_ptr<Communicator> given,
                                                 const std::string &source) {
  const int64_t ranks = given ? given->size() : 1;
  if (ranks != mesh.numRanks())
    return invalidArgument(
        "executable '" + source + "': the Executable was compiled for mesh " + mesh.toString() +
        " (" + std::to_string(mesh.numRanks()) + (mesh.numRanks() == 1 ? " rank" : " ranks") +
        ") but runs on " + std::to_string(ranks) +
        (given ? " (communicator group " + given->groupName() + ")"
               : " (no communicator: start one process per rank with mpirun -np " +
                     std::to_string(mesh.numRanks()) + ")"));
  if (given)
    return given;
  return std::shared_ptr<Communicator>(InProcessCommunicator::createGroup(1)[0]);
}

const char *kindNoun(proto::BufferKind kind) {
  switch (kind) {
  case proto::PARAMETER:
    return "parameter";
  case proto::STATE:
    return "state";
  default:
    return "input";
  }
}

} // namespace

Executor::Executor(Executable exe, std::unique_ptr<Device> device)
    : exe_(std::move(exe)), device_(std::move(device)) {}

Executor::~Executor() {
  program_.reset(); // unloads its kernels before the device goes
  for (void *p : ownStorage_)
    device_->free(p);
  device_->free(arena_);
}

std::string Executor::where() const { return "executable '" + exe_.source() + "'"; }

StatusOr<std::unique_ptr<Executor>> Executor::create(Executable exe,
                                                     const ExecutorOptions &options) {
  WEFT_RETURN_IF_ERROR(exe.validate());
  StatusOr<MeshShape> mesh = MeshShape::fromProto(exe.proto().mesh()); // validated
  if (!mesh.isOk())
    return mesh.status();
  StatusOr<std::shared_ptr<Communicator>> world =
      worldFor(*mesh, options.communicator, exe.source());
  if (!world.isOk())
    return world.status();
  std::unique_ptr<Device> device;
  if (exe.proto().target() == "cuda") {
    // One GPU per rank: a rank takes the GPU of its index on its node.
    int ordinal = 0;
    std::string whose;
    if (mesh->numRanks() > 1) {
      int local = MpiEnvironment::localRankFromEnvironment();
      ordinal = local >= 0 ? local : world.value()->rank();
      whose = "rank " + std::to_string(world.value()->rank()) + " takes GPU " +
              std::to_string(ordinal) + " (its index on its node; start at most one rank per GPU): ";
    }
    StatusOr<std::unique_ptr<Device>> gpu = openCudaDevice(ordinal);
    if (!gpu.isOk())
      return Status(gpu.status().code(), "executable '" + exe.source() +
                                             "' targets cuda: " + whose + gpu.status().message());
    device = std::move(gpu.value());
  } else {
    device = std::make_unique<CpuDevice>();
  }
  Executor *owner = options.shareStorageWith;
  // Storage is shared between programs of one target on one mesh (each rank
  // shares its own pieces; resolveSharedStorage checks they are laid out alike).
  if (owner && (owner->exe_.proto().target() != exe.proto().target() ||
                mesh->toString() != owner->mesh_.toString() ||
                (mesh->numRanks() > 1 && world.value().get() != owner->world_.get())))
    return invalidArgument("executable '" + exe.source() + "' cannot share storage with '" +
                           owner->exe_.source() + "': sharing needs two programs of one target on "
                           "one mesh (and the same ranks), got " + exe.proto().target() + " on " +
                           mesh->toString() + " and " + owner->exe_.proto().target() + " on " +
                           owner->mesh_.toString());
  MemoryNeeds needs = memoryNeeds(exe.proto());
  if (owner) // shared storage is the owner's, already allocated
    for (const proto::Buffer &b : exe.proto().buffers())
      if (ownsStorage(b) && owner->findBuffer(b.kind(), b.name()) >= 0)
        (b.kind() == proto::PARAMETER ? needs.parameters : needs.state) -= b.byte_size();
  WEFT_RETURN_IF_ERROR(checkMemoryBudget(needs,
                                         memoryBudget(options.memoryLimit, device->availableMemory()),
                                         "executable '" + exe.source() + "'"));
  std::unique_ptr<Executor> executor(new Executor(std::move(exe), std::move(device)));
  executor->mesh_ = std::move(mesh.value());
  executor->world_ = std::move(world.value());
  executor->rank_ = executor->world_->rank();
  executor->shareFrom_ = owner;
  executor->ncclForOneGpuGroups_ = options.ncclForOneGpuGroups;
  WEFT_RETURN_IF_ERROR(executor->initialize());
  return executor;
}

Status Executor::initialize() {
  const proto::Executable &p = exe_.proto();
  size_t alignment = std::max<uint64_t>(p.arena_alignment(), kMinArenaAlignment);
  StatusOr<void *> arena = device_->allocate(p.arena_size(), alignment);
  if (!arena.isOk())
    return Status(arena.status().code(),
                  where() + ": cannot allocate the arena: " + arena.status().message());
  arena_ = *arena;
  WEFT_RETURN_IF_ERROR(device_->zero(arena_, p.arena_size()));

  size_t n = static_cast<size_t>(p.buffers_size());
  address_.assign(n, nullptr);
  bound_.assign(n, false);
  consumedByRun_.assign(n, false);
  staged_.assign(n, {});
  WEFT_RETURN_IF_ERROR(resolveSharedStorage());
  char *base = static_cast<char *>(arena_);
  for (size_t i = 0; i < n; ++i) {
    const proto::Buffer &b = p.buffers(static_cast<int>(i));
    if (b.has_alias_of()) {
      address_[i] = address_[b.alias_of()]; // validated: earlier, not an alias
      continue;
    }
    if (ownsStorage(b) && sharedFrom_[i] >= 0) {
      address_[i] = shareFrom_->address_[static_cast<size_t>(sharedFrom_[i])];
      continue;
    }
    if (ownsStorage(b)) {
      StatusOr<void *> storage = device_->allocate(b.byte_size(), alignment);
      if (!storage.isOk())
        return Status(storage.status().code(), where() + ": cannot allocate " +
                                                   kindNoun(b.kind()) + " '" + b.name() +
                                                   "': " + storage.status().message());
      ownStorage_.push_back(*storage);
      address_[i] = *storage;
      if (b.kind() == proto::STATE) {
        std::vector<char> zeros(b.byte_size(), 0);
        WEFT_RETURN_IF_ERROR(device_->copyToDevice(*storage, zeros.data(), b.byte_size()));
        bound_[i] = true;
      }
      continue;
    }
    address_[i] = base + b.arena_offset();
    if (b.kind() == proto::CONSTANT && !b.splat())
      WEFT_RETURN_IF_ERROR(device_->copyToDevice(address_[i], b.data().data(), b.byte_size()));
    if (b.kind() == proto::CONSTANT && b.splat() && b.byte_size() > 0) {
      std::string filled(b.byte_size(), '\0'); // validated: a whole number of elements
      for (size_t at = 0; at < filled.size(); at += b.data().size())
        std::memcpy(filled.data() + at, b.data().data(), b.data().size());
      WEFT_RETURN_IF_ERROR(device_->copyToDevice(address_[i], filled.data(), filled.size()));
    }
  }

  // An input is consumed by a run when another buffer may overwrite its bytes.
  for (size_t i = 0; i < n; ++i) {
    const proto::Buffer &in = p.buffers(static_cast<int>(i));
    if (in.kind() != proto::INPUT || in.byte_size() == 0)
      continue;
    for (size_t j = 0; j < n && !consumedByRun_[i]; ++j) {
      const proto::Buffer &o = p.buffers(static_cast<int>(j));
      if (j == i || !livesInArena(o) || o.byte_size() == 0)
        continue;
      consumedByRun_[i] = o.arena_offset() < in.arena_offset() + in.byte_size() &&
                          in.arena_offset() < o.arena_offset() + o.byte_size();
    }
  }

  WEFT_RETURN_IF_ERROR(initializeMesh());
  StatusOr<std::unique_ptr<Program>> program =
      loadProgram(*device_, p, address_, exe_.source(), stepComms_);
  if (!program.isOk())
    return program.status();
  program_ = std::move(program.value());
  if (p.target() == "cuda")
    cudaGraphs_ = cudaGraphsEnabledByEnvironment();
  return Status::ok();
}

Status Executor::resolveSharedStorage() {
  const proto::Executable &p = exe_.proto();
  sharedFrom_.assign(static_cast<size_t>(p.buffers_size()), -1);
  if (!shareFrom_)
    return Status::ok();
  for (int i = 0; i < p.buffers_size(); ++i) {
    const proto::Buffer &b = p.buffers(i);
    if (!ownsStorage(b) || b.has_alias_of())
      continue;
    int j = shareFrom_->findBuffer(b.kind(), b.name());
    if (j < 0)
      continue;
    const proto::Buffer &o = shareFrom_->exe_.proto().buffers(j);
    if (o.dtype() != b.dtype() || shapeOf(o) != shapeOf(b))
      return invalidArgument(where() + ": " + kindNoun(b.kind()) + " '" + b.name() + "' is " +
                             dtypeName(b.dtype()) + shapeString(shapeOf(b)) + " but " +
                             shareFrom_->where() + ", whose storage it shares, holds " +
                             dtypeName(o.dtype()) + shapeString(shapeOf(o)) +
                             "; compile both programs for the same sizes");
    if (o.byte_size() != b.byte_size() || o.sharding().SerializeAsString() != b.sharding().SerializeAsString())
      return invalidArgument(where() + ": " + kindNoun(b.kind()) + " '" + b.name() + "' is split over the "
                             "mesh unlike in " + shareFrom_->where() + ", whose storage it shares (" +
                             std::to_string(b.byte_size()) + " against " + std::to_string(o.byte_size()) +
                             " bytes on this rank); compile both programs with the same plan");
    sharedFrom_[static_cast<size_t>(i)] = j;
  }
  return Status::ok();
}

bool Executor::isBound(size_t id) const {
  if (id < sharedFrom_.size() && sharedFrom_[id] >= 0)
    return shareFrom_->bound_[static_cast<size_t>(sharedFrom_[id])];
  return bound_[id];
}

Status Executor::initializeMesh() {
  const proto::Executable &p = exe_.proto();
  std::vector<std::vector<int>> groupAxes; // parallel to groups_
  stepComms_.assign(static_cast<size_t>(p.steps_size()), nullptr);
  for (int s = 0; s < p.steps_size(); ++s) {
    if (!p.steps(s).has_collective())
      continue;
    const auto &a = p.steps(s).collective().axes();
    std::vector<int> axes(a.begin(), a.end());
    auto known = std::find(groupAxes.begin(), groupAxes.end(), axes);
    if (known == groupAxes.end()) {
      // Every rank reaches the same splits in the same order (same steps).
      std::string name = mesh_.groupName(rank_, axes);
      name = name.substr(0, name.find(':'));
      StatusOr<std::shared_ptr<Communicator>> group =
          world_->split(static_cast<int>(mesh_.groupColor(rank_, axes)),
                        static_cast<int>(mesh_.indexInGroup(rank_, axes)), name);
      if (group.isOk() && p.target() == "cuda" &&
          (group.value()->size() > 1 || ncclForOneGpuGroups_))
        group = openGpuCommunicator(*device_, std::move(group.value()));
      if (!group.isOk())
        return Status(group.status().code(),
                      where() + ": cannot form the group of step " + std::to_string(s) + " '" +
                          p.steps(s).label() + "': " + group.status().message());
      groupAxes.push_back(axes);
      groups_.push_back(std::move(group.value()));
      known = groupAxes.end() - 1;
    }
    stepComms_[static_cast<size_t>(s)] = groups_[static_cast<size_t>(known - groupAxes.begin())].get();
  }
  for (int i = 0; i < p.buffers_size(); ++i) {
    const proto::Buffer &b = p.buffers(i);
    if (b.kind() != proto::MESH_INDEX)
      continue;
    int64_t index = mesh_.indexInGroup(rank_, {b.mesh_axes().begin(), b.mesh_axes().end()});
    WEFT_RETURN_IF_ERROR(device_->copyToDevice(address_[static_cast<size_t>(i)], &index,
                                               sizeof index));
  }
  return Status::ok();
}

int Executor::findBuffer(proto::BufferKind kind, const std::string &name) const {
  const proto::Executable &p = exe_.proto();
  for (int i = 0; i < p.buffers_size(); ++i)
    if (p.buffers(i).kind() == kind && p.buffers(i).name() == name)
      return i;
  return -1;
}

std::vector<std::string> Executor::parameterNames() const {
  return namesOfKind(exe_.proto(), proto::PARAMETER);
}

std::vector<std::string> Executor::stateNames() const {
  return namesOfKind(exe_.proto(), proto::STATE);
}

std::vector<std::string> Executor::inputNames() const {
  return namesOfKind(exe_.proto(), proto::INPUT);
}

std::vector<std::string> Executor::outputNames() const {
  std::vector<std::string> names;
  for (uint32_t id : exe_.proto().outputs())
    names.push_back(exe_.proto().buffers(static_cast<int>(id)).name());
  return names;
}

Status Executor::checkIndices(const proto::Buffer &b, const HostTensor &value) const {
  const uint64_t limit = b.index_limit();
  for (int64_t i = 0; i < value.numElements(); ++i) {
    int64_t v = value.dtype == proto::I64 ? value.data<int64_t>()[i] : value.data<int32_t>()[i];
    if (v < 0 || uint64_t(v) >= limit)
      return invalidArgument("setInput: element " + std::to_string(i) + " of '" + b.name() +
                             "' is " + std::to_string(v) + ", outside [0, " +
                             std::to_string(limit) + "): the rows of the table it indexes (e.g. "
                             "token ids and the vocabulary)");
  }
  return Status::ok();
}

StatusOr<int> Executor::lookup(proto::BufferKind kind, const std::string &call,
                              const std::string &name) const {
  int id = findBuffer(kind, name);
  if (id >= 0)
    return id;
  std::vector<std::string> known = namesOfKind(exe_.proto(), kind);
  std::string list;
  for (size_t i = 0; i < known.size() && i < 8; ++i)
    list += (i ? ", " : "") + known[i];
  if (known.size() > 8)
    list += ", ... (" + std::to_string(known.size()) + " in all)";
  return notFound(call + ": " + where() + " has no " + kindNoun(kind) + " named '" + name +
                  "' (known: " + (list.empty() ? "none" : list) + ")");
}

Status Executor::bind(proto::BufferKind kind, const char *what, const std::string &name,
                      const HostTensor &value) {
  StatusOr<int> found = lookup(kind, std::string("set") + what, name);
  if (!found.isOk())
    return found.status();
  const int id = *found;
  const proto::Buffer &b = exe_.proto().buffers(id);
  std::vector<int64_t> shape = shapeOf(b);
  if (b.has_sharding()) { // the caller gives the whole value; this rank keeps its piece
    std::vector<int64_t> whole = globalShapeOf(b.sharding());
    if (value.dtype != b.dtype() || value.shape != whole)
      return invalidArgument(std::string("set") + what + ": '" + name + "' expects the whole " +
                             dtypeName(b.dtype()) + shapeString(whole) + " (rank " +
                             std::to_string(rank_) + " keeps its piece " + shapeString(shape) +
                             ") but got " + dtypeName(value.dtype) + shapeString(value.shape));
    return bindBytes(id, name, what, pieceOf(value, b.sharding(), mesh_, rank_));
  }
  if (value.dtype != b.dtype() || value.shape != shape)
    return invalidArgument(std::string("set") + what + ": '" + name + "' expects " +
                           dtypeName(b.dtype()) + shapeString(shape) + " but got " +
                           dtypeName(value.dtype) + shapeString(value.shape));
  return bindBytes(id, name, what, value);
}

Status Executor::bindBytes(int id, const std::string &name, const char *what, const HostTensor &value) {
  const proto::Buffer &b = exe_.proto().buffers(id);
  if (value.bytes.size() != b.byte_size())
    return invalidArgument(std::string("set") + what + ": '" + name + "' holds " +
                           std::to_string(value.bytes.size()) + " bytes; " +
                           dtypeName(b.dtype()) + shapeString(shapeOf(b)) + " needs " +
                           std::to_string(b.byte_size()));
  if (b.index_limit() > 0)
    WEFT_RETURN_IF_ERROR(checkIndices(b, value));
  WEFT_RETURN_IF_ERROR(device_->copyToDevice(address_[id], value.bytes.data(), b.byte_size()));
  // An input whose bytes a run reuses is staged from a host copy at the start
  // of every run, so callers may run again without setting it anew.
  if (consumedByRun_[id])
    staged_[id] = value.bytes;
  bound_[id] = true;
  if (sharedFrom_[static_cast<size_t>(id)] >= 0)
    shareFrom_->bound_[static_cast<size_t>(sharedFrom_[static_cast<size_t>(id)])] = true;
  return Status::ok();
}

Status Executor::setParameter(const std::string &name, const HostTensor &value) {
  return bind(proto::PARAMETER, "Parameter", name, value);
}

Status Executor::setState(const std::string &name, const HostTensor &value) {
  return bind(proto::STATE, "State", name, value);
}

Status Executor::setInput(const std::string &name, const HostTensor &value) {
  return bind(proto::INPUT, "Input", name, value);
}

Status Executor::run() {
  const proto::Executable &p = exe_.proto();
  for (int i = 0; i < p.buffers_size(); ++i) {
    const proto::Buffer &b = p.buffers(i);
    if ((b.kind() == proto::PARAMETER || b.kind() == proto::INPUT) && !isBound(size_t(i)))
      return failedPrecondition(
          "run: " + std::string(b.kind() == proto::PARAMETER ? "parameter" : "input") + " '" +
          b.name() + "' of " + where() + " is not set; call " +
          (b.kind() == proto::PARAMETER ? "setParameter" : "setInput") + " first");
  }
  for (int i = 0; i < p.buffers_size(); ++i)
    if (consumedByRun_[i])
      WEFT_RETURN_IF_ERROR(
          device_->copyToDevice(address_[i], staged_[i].data(), staged_[i].size()));
  hasOutputs_ = false;
  ScopedFlushDenormals flush; // subnormals as zero while the kernels run (cpu/FloatControl.h)
  // The whole run at once (on a GPU: one graph replay, or each step in turn),
  // or with profiling on one step at a time.
  Status st = profiling_ ? runProfiled() : program_->runAll(cudaGraphs_);
  if (!st.isOk())
    return Status(st.code(), "run: " + st.message());
  WEFT_RETURN_IF_ERROR(device_->synchronize());
  hasOutputs_ = true;
  return Status::ok();
}

Status Executor::runProfiled() {
  stepTimes_.clear();
  const proto::Executable &p = exe_.proto();
  for (int s = 0; s < p.steps_size(); ++s) {
    auto start = std::chrono::steady_clock::now();
    Status st = program_->runStep(s);
    if (st.isOk())
      st = device_->synchronize();
    if (!st.isOk())
      return program_->inStep(s, st);
    double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() -
                                                          start).count();
    stepTimes_.push_back({p.steps(s).label(), program_->stepKind(s), program_->stepRoute(s), us});
  }
  return Status::ok();
}

bool Executor::cudaGraphCaptured() const { return program_ && program_->graphCaptured(); }

StatusOr<HostTensor> Executor::readBuffer(uint32_t id) const {
  const proto::Buffer &b = exe_.proto().buffers(static_cast<int>(id));
  HostTensor t(b.dtype(), shapeOf(b));
  WEFT_RETURN_IF_ERROR(device_->copyToHost(t.bytes.data(), address_[id], b.byte_size()));
  return t;
}

StatusOr<HostTensor> Executor::readWhole(uint32_t id) const {
  const proto::Buffer &b = exe_.proto().buffers(static_cast<int>(id));
  StatusOr<HostTensor> piece = readBuffer(id);
  if (!piece.isOk() || !b.has_sharding())
    return piece;
  return wholeOf(*piece, b.sharding(), mesh_, *world_, b.name());
}

StatusOr<HostTensor> Executor::output(size_t i) const {
  const proto::Executable &p = exe_.proto();
  if (i >= static_cast<size_t>(p.outputs_size()))
    return invalidArgument("output: index " + std::to_string(i) + " is out of range; " + where() +
                           " has " + std::to_string(p.outputs_size()) + " outputs");
  if (!hasOutputs_)
    return failedPrecondition("output: " + where() + " has not completed a run yet; call run()");
  return readWhole(p.outputs(static_cast<int>(i)));
}

StatusOr<HostTensor> Executor::output(const std::string &name) const {
  const proto::Executable &p = exe_.proto();
  for (int i = 0; i < p.outputs_size(); ++i)
    if (p.buffers(static_cast<int>(p.outputs(i))).name() == name)
      return output(static_cast<size_t>(i));
  return notFound("output: " + where() + " has no output named '" + name + "'");
}

StatusOr<HostTensor> Executor::parameter(const std::string &name) const {
  int id = findBuffer(proto::PARAMETER, name);
  if (id < 0)
    return notFound("parameter: " + where() + " has no parameter named '" + name + "'");
  if (!isBound(size_t(id)))
    return failedPrecondition("parameter: '" + name + "' is not set; call setParameter first");
  return readWhole(static_cast<uint32_t>(id));
}

const proto::Buffer *Executor::buffer(proto::BufferKind kind, const std::string &name) const {
  int id = findBuffer(kind, name);
  return id < 0 ? nullptr : &exe_.proto().buffers(id);
}

StatusOr<HostTensor> Executor::localPiece(proto::BufferKind kind, const std::string &name) const {
  StatusOr<int> id = lookup(kind, "localPiece", name);
  if (!id.isOk())
    return id.status();
  if (!isBound(size_t(*id)))
    return failedPrecondition("localPiece: " + std::string(kindNoun(kind)) + " '" + name +
                              "' is not set");
  return readBuffer(static_cast<uint32_t>(*id));
}

Status Executor::setLocalPiece(proto::BufferKind kind, const std::string &name,
                               const HostTensor &piece) {
  StatusOr<int> id = lookup(kind, "setLocalPiece", name);
  if (!id.isOk())
    return id.status();
  const proto::Buffer &b = exe_.proto().buffers(*id);
  if (piece.dtype != b.dtype() || piece.shape != shapeOf(b))
    return invalidArgument("setLocalPiece: rank " + std::to_string(rank_) + "'s piece of '" + name +
                           "' is " + dtypeName(b.dtype()) + shapeString(shapeOf(b)) + " but got " +
                           dtypeName(piece.dtype) + shapeString(piece.shape));
  return bindBytes(*id, name, "LocalPiece", piece);
}

StatusOr<HostTensor> Executor::state(const std::string &name) const {
  int id = findBuffer(proto::STATE, name);
  if (id < 0)
    return notFound("state: " + where() + " has no optimizer state named '" + name + "'");
  return readWhole(static_cast<uint32_t>(id));
}

} // namespace weft::rt
