//===- Checkpoint.cpp - training checkpoints on disk ----------------------===//
//
// This file implements the checkpoint framing (see Checkpoint.h), its atomic
// saving and loading, and copying tensors between a Checkpoint message and a
// training-step Executor with errors that name the tensor.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/Checkpoint.h"

#include "runtime/Executable.h"
#include "runtime/FileUtil.h"
#include "runtime/comm/ShardedBuffer.h"
#include "runtime/io/ShardedCheckpoint.h"

#include <climits>
#include <map>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace weft::rt {
namespace {

constexpr char kMagic[8] = {'W', 'E', 'F', 'T', 'C', 'K', 'P', 'T'};
constexpr uint32_t kFraming = 1;
constexpr uint32_t kFormat = 1;        // tensors whole in checkpoint.pb
constexpr uint32_t kShardedFormat = kShardedCheckpointFormat; // manifest or shard file
constexpr size_t kHeader = 32;

void putLE(std::string &out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out.push_back(char((value >> (8 * i)) & 0xff));
}

uint64_t getLE(std::string_view in, size_t offset, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= uint64_t(uint8_t(in[offset + i])) << (8 * i);
  return v;
}

std::string pathOf(const std::string &dir) { return dir + "/" + kCheckpointFile; }

} // namespace

void tensorToProto(const std::string &name, const rt::HostTensor &t, proto::CheckpointTensor &out) {
  out.set_name(name);
  out.set_dtype(t.dtype);
  out.clear_shape();
  for (int64_t d : t.shape)
    out.add_shape(d);
  out.set_data(reinterpret_cast<const char *>(t.bytes.data()), t.bytes.size());
  out.set_checksum(rt::fnv1a64(out.data()));
}

namespace {

/// The first tensor of `c` whose data no longer matches its checksum, as
/// " in <kind> '<name>'", or "" when every tensor matches.
std::string damagedTensor(const proto::Checkpoint &c) {
  for (const proto::CheckpointTensor &t : c.parameters())
    if (rt::fnv1a64(t.data()) != t.checksum())
      return " in parameter '" + t.name() + "'";
  for (const proto::CheckpointTensor &t : c.optimizer_state())
    if (rt::fnv1a64(t.data()) != t.checksum())
      return " in optimizer state '" + t.name() + "'";
  return "";
}

/// Checks what the file checksum cannot: every tensor's own checksum (a
/// writer bug or a file re-framed after editing), unique names per kind, and
/// byte counts that match dtype and shape. DATA_LOSS naming the tensor.
rt::Status checkTensors(const proto::Checkpoint &c, const std::string &source) {
  for (auto [kind, tensors] : {std::pair{"parameter", &c.parameters()},
                               std::pair{"optimizer state", &c.optimizer_state()}}) {
    std::set<std::string> seen;
    for (const proto::CheckpointTensor &t : *tensors) {
      std::string where = "'" + source + "': " + kind + " '" + t.name() + "' ";
      if (!seen.insert(t.name()).second)
        return rt::dataLoss(where + "appears twice; the checkpoint is corrupt");
      if (rt::fnv1a64(t.data()) != t.checksum())
        return rt::dataLoss(where + "does not match its checksum; the checkpoint is corrupt");
      if (rt::dtypeSize(t.dtype()) == 0)
        return rt::dataLoss(where + "has an invalid dtype (" + std::to_string(int(t.dtype())) + ")");
      uint64_t numel = 1;
      for (int64_t d : t.shape()) {
        if (d < 0 || (d != 0 && numel > t.data().size() / uint64_t(d)))
          return rt::dataLoss(where + "has shape " +
                              rt::shapeString({t.shape().begin(), t.shape().end()}) +
                              ", which does not fit its " + std::to_string(t.data().size()) +
                              " bytes");
        numel *= uint64_t(d);
      }
      if (numel * rt::dtypeSize(t.dtype()) != t.data().size())
        return rt::dataLoss(where + "holds " + std::to_string(t.data().size()) +
                            " bytes but its dtype and shape need " +
                            std::to_string(numel * rt::dtypeSize(t.dtype())));
    }
  }
  return rt::Status::ok();
}

/// Restores one kind of buffer (`what`: "parameter" or "optimizer state").
rt::Status restoreKind(const google::protobuf::RepeatedPtrField<proto::CheckpointTensor> &saved,
                       const std::vector<std::string> &names, const char *what, bool state,
                       rt::Executor &executor) {
  std::map<std::string, const proto::CheckpointTensor *> byName;
  for (const proto::CheckpointTensor &t : saved)
    byName[t.name()] = &t;
  for (const std::string &name : names) {
    auto it = byName.find(name);
    if (it == byName.end())
      return rt::notFound("checkpoint has no " + std::string(what) + " '" + name +
                          "', which the model needs; was it written for another model or optimizer?");
    // The buffer's declared dtype and shape (parameters may not be set yet).
    const proto::Buffer *buffer = nullptr;
    for (const proto::Buffer &b : executor.executable().proto().buffers())
      if (b.name() == name && b.kind() == (state ? proto::STATE : proto::PARAMETER))
        buffer = &b;
    if (!buffer)
      return rt::internalError("the executable has no buffer for " + std::string(what) + " '" + name + "'");
    const std::vector<int64_t> want = rt::wholeShapeOf(*buffer); // split buffers take the whole value
    const proto::CheckpointTensor &t = *it->second;
    std::vector<int64_t> shape(t.shape().begin(), t.shape().end());
    if (t.dtype() != buffer->dtype() || shape != want)
      return rt::invalidArgument(std::string(what) + " '" + name + "' in the checkpoint is " +
                                 rt::dtypeName(t.dtype()) + " " + rt::shapeString(shape) +
                                 " but the model has " + rt::dtypeName(buffer->dtype()) + " " +
                                 rt::shapeString(want) +
                                 "; the checkpoint belongs to another configuration");
    rt::HostTensor value(t.dtype(), shape);
    if (t.data().size() != value.bytes.size())
      return rt::dataLoss(std::string(what) + " '" + name + "' in the checkpoint is corrupt: " +
                          std::to_string(t.data().size()) + " bytes for shape " +
                          rt::shapeString(shape) + ", expected " +
                          std::to_string(value.bytes.size()));
    std::copy(t.data().begin(), t.data().end(), value.bytes.begin());
    WEFT_RETURN_IF_ERROR(state ? executor.setState(name, value) : executor.setParameter(name, value));
    byName.erase(it);
  }
  if (!byName.empty())
    return rt::notFound("checkpoint holds " + std::string(what) + " '" + byName.begin()->first +
                        "', which the model does not have; was it written for another model?");
  return rt::Status::ok();
}

/// Removes the temporary files that saves interrupted by a crash or a kill
/// left in `dir` ("checkpoint.pb.tmp.XXXXXX", one per lost save, each as
/// large as a checkpoint). One run writes a directory's checkpoint at a time,
/// so no other save can own them.
void removeStaleTemporaries(const std::string &dir) {
  const std::string prefix = std::string(kCheckpointFile) + ".tmp.";
  rt::removeFilesIf(dir, [&](std::string_view name) { return name.substr(0, prefix.size()) == prefix; });
}

} // namespace

std::string checkpointToBytes(const proto::Checkpoint &checkpoint) {
  std::string payload;
  checkpoint.SerializeToString(&payload);
  std::string out(kMagic, 8);
  putLE(out, kFraming, 4);
  putLE(out, 0, 4);
  putLE(out, payload.size(), 8);
  putLE(out, rt::fnv1a64(payload), 8);
  return out + payload;
}

rt::StatusOr<proto::Checkpoint> checkpointFromBytes(std::string_view bytes,
                                                    const std::string &source) {
  if (bytes.size() < kHeader || std::string_view(bytes.data(), 8) != std::string_view(kMagic, 8))
    return rt::dataLoss("'" + source + "' is not a weft checkpoint: " +
                        (bytes.size() < kHeader ? std::string("shorter than its 32-byte header")
                                                : std::string("wrong magic")));
  if (getLE(bytes, 8, 4) > kFraming)
    return rt::invalidArgument("'" + source + "' has checkpoint framing version " +
                               std::to_string(getLE(bytes, 8, 4)) + "; this weft reads " +
                               std::to_string(kFraming));
  uint64_t length = getLE(bytes, 16, 8);
  if (length != bytes.size() - kHeader || length > uint64_t(INT_MAX))
    return rt::dataLoss("'" + source + "' is corrupt: the header says " + std::to_string(length) +
                        " payload bytes, the file has " + std::to_string(bytes.size() - kHeader));
  std::string_view payload = bytes.substr(kHeader);
  proto::Checkpoint c;
  bool parsed = c.ParseFromArray(payload.data(), int(payload.size()));
  if (rt::fnv1a64(payload) != getLE(bytes, 24, 8))
    return rt::dataLoss("'" + source + "' is corrupt: payload checksum mismatch" +
                        (parsed ? damagedTensor(c) : std::string()));
  if (!parsed)
    return rt::dataLoss("'" + source + "' is corrupt: the payload does not parse");
  if (c.format_version() != kFormat && c.format_version() != kShardedFormat)
    return rt::invalidArgument("'" + source + "' has checkpoint format version " +
                               std::to_string(c.format_version()) + "; this weft reads " +
                               std::to_string(kFormat) + " and " + std::to_string(kShardedFormat));
  WEFT_RETURN_IF_ERROR(checkTensors(c, source));
  return c;
}

rt::Status saveCheckpoint(const std::string &dir, const proto::Checkpoint &checkpoint) {
  if (::mkdir(dir.c_str(), 0777) != 0 && errno != EEXIST)
    return rt::errnoStatus(errno, "cannot create checkpoint directory", dir);
  removeStaleTemporaries(dir);
  proto::Checkpoint c = checkpoint;
  if (c.format_version() != kShardedFormat) // a manifest keeps its version
    c.set_format_version(kFormat);
  std::string bytes = checkpointToBytes(c);
  rt::Status s = rt::writeFileAtomically(pathOf(dir), {bytes});
  if (!s.isOk())
    return rt::Status(s.code(), "cannot save checkpoint: " + s.message());
  if (c.format_version() == kFormat) // the shards of an earlier sharded save are no longer named
    rt::removeFilesIf(dir, rt::isShardFileName);
  return rt::Status::ok();
}

rt::StatusOr<proto::Checkpoint> loadCheckpoint(const std::string &dir) {
  std::vector<uint8_t> bytes;
  rt::Status s = rt::readWholeFile(pathOf(dir), bytes);
  if (!s.isOk())
    return rt::Status(s.code(), "cannot read checkpoint: " + s.message());
  return checkpointFromBytes(
      std::string_view(reinterpret_cast<const char *>(bytes.data()), bytes.size()), pathOf(dir));
}

rt::Status captureTensors(const rt::Executor &executor, proto::Checkpoint &checkpoint) {
  checkpoint.clear_parameters();
  checkpoint.clear_optimizer_state();
  for (const std::string &name : executor.parameterNames()) {
    auto t = executor.parameter(name);
    if (!t.isOk())
      return t.status();
    tensorToProto(name, *t, *checkpoint.add_parameters());
  }
  for (const std::string &name : executor.stateNames()) {
    auto t = executor.state(name);
    if (!t.isOk())
      return t.status();
    tensorToProto(name, *t, *checkpoint.add_optimizer_state());
  }
  return rt::Status::ok();
}

rt::Status restoreTensors(const proto::Checkpoint &checkpoint, rt::Executor &executor) {
  if (checkpoint.format_version() == kShardedFormat)
    return rt::invalidArgument("the checkpoint is sharded (a manifest): restore it with "
                               "restoreCheckpoint (runtime/io/ShardedCheckpoint.h)");
  WEFT_RETURN_IF_ERROR(restoreKind(checkpoint.parameters(), executor.parameterNames(), "parameter",
                                   /*state=*/false, executor));
  return restoreKind(checkpoint.optimizer_state(), executor.stateNames(), "optimizer state",
                     /*state=*/true, executor);
}

rt::Status restoreParameters(const proto::Checkpoint &checkpoint, rt::Executor &executor) {
  if (checkpoint.format_version() == kShardedFormat)
    return rt::invalidArgument("the checkpoint is sharded over the ranks of a mesh: export its weights with "
                               "`weft train ... --resume --steps N --save OUT.safetensors` (the same mesh) and "
                               "use those");
  return restoreKind(checkpoint.parameters(), executor.parameterNames(), "parameter", /*state=*/false, executor);
}

} // namespace weft::rt
