//===- ShardedCheckpoint.cpp - checkpoints written in per-rank pieces -----===//
//
// This file implements sharded checkpoints (see ShardedCheckpoint.h): which
// rank owns which piece, writing the shard files and the manifest in a
// crash-safe order, and restoring each rank's pieces on any mesh from the
// saved pieces that overlap them.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/ShardedCheckpoint.h"

#include "runtime/FileUtil.h"
#include "runtime/ShardLayout.h"
#include "runtime/comm/ShardedBuffer.h"
#include "runtime/io/Checkpoint.h"

#include <map>
#include <memory>
#include <set>
#include <sys/stat.h>

namespace weft::rt {
namespace {

using TensorList = google::protobuf::RepeatedPtrField<proto::CheckpointTensor>;
using ShardedList = google::protobuf::RepeatedPtrField<proto::ShardedTensor>;

/// The two kinds of tensor a checkpoint holds.
struct Kind {
  const char *noun;
  proto::BufferKind buffer;
  bool state;
};
constexpr Kind kKinds[] = {{"parameter", proto::PARAMETER, false},
                           {"optimizer state", proto::STATE, true}};

std::vector<std::string> namesOf(const Executor &e, const Kind &k) {
  return k.state ? e.stateNames() : e.parameterNames();
}
ShardedList *shardedOf(proto::ShardIndex &index, const Kind &k) {
  return k.state ? index.mutable_optimizer_state() : index.mutable_parameters();
}
const ShardedList &shardedOf(const proto::ShardIndex &index, const Kind &k) {
  return k.state ? index.optimizer_state() : index.parameters();
}
const TensorList &tensorsOf(const proto::Checkpoint &c, const Kind &k) {
  return k.state ? c.optimizer_state() : c.parameters();
}

/// The split of a manifest tensor in the form piecesOf reads.
proto::BufferSharding shardingOf(const proto::ShardedTensor &t) {
  proto::BufferSharding s;
  *s.mutable_global_shape() = t.global_shape();
  *s.mutable_dims() = t.dims();
  return s;
}

/// Per rank of `mesh`: the lowest rank holding the same piece of a tensor
/// split as `sharding` (ranks that agree on every split axis hold the same).
std::vector<int64_t> ownersOf(const proto::BufferSharding &sharding, const MeshShape &mesh) {
  std::map<std::vector<int64_t>, int64_t> first;
  std::vector<int64_t> owners;
  for (int64_t r = 0; r < mesh.numRanks(); ++r) {
    std::vector<int64_t> key;
    for (const DimPiece &p : piecesOf(sharding, mesh, r))
      key.push_back(p.index);
    owners.push_back(first.emplace(key, r).first->second);
  }
  return owners;
}

int64_t asSlot(uint64_t checksum) { return static_cast<int64_t>(checksum); }

/// The shard files of one manifest, each read and checked once, on first use.
class ShardReader {
public:
  ShardReader(std::string dir, const proto::Checkpoint &manifest)
      : dir_(std::move(dir)), manifest_(manifest), loaded_(size_t(manifest.shards().files_size())) {}

  std::string path(uint32_t file) const { return dir_ + "/" + manifest_.shards().files(int(file)); }

  /// The piece of `kind` tensor `name` stored in `file`.
  StatusOr<const proto::CheckpointTensor *> piece(uint32_t file, const Kind &kind,
                                                  const std::string &name) {
    if (!loaded_[file]) {
      std::vector<uint8_t> bytes;
      Status s = readWholeFile(path(file), bytes);
      if (!s.isOk())
        return Status(s.code(), "cannot read a shard of the checkpoint (needed for " +
                                    std::string(kind.noun) + " '" + name + "'): " + s.message());
      auto shard = checkpointFromBytes(
          std::string_view(reinterpret_cast<const char *>(bytes.data()), bytes.size()), path(file));
      if (!shard.isOk())
        return shard.status();
      if (shard->format_version() != kShardedCheckpointFormat || shard->step() != manifest_.step())
        return dataLoss("'" + path(file) + "' is not a shard of step " +
                        std::to_string(manifest_.step()) + " (format " +
                        std::to_string(shard->format_version()) + ", step " +
                        std::to_string(shard->step()) + "); the checkpoint is corrupt");
      loaded_[file] = std::make_unique<proto::Checkpoint>(std::move(shard).value());
    }
    for (const proto::CheckpointTensor &t : tensorsOf(*loaded_[file], kind))
      if (t.name() == name)
        return &t;
    return dataLoss("'" + path(file) + "' holds no piece of " + kind.noun + " '" + name +
                    "', which the manifest places there; the checkpoint is corrupt");
  }

private:
  std::string dir_;
  const proto::Checkpoint &manifest_;
  std::vector<std::unique_ptr<proto::Checkpoint>> loaded_;
};

/// DATA_LOSS naming the manifest and the tensor unless `t` is a consistent
/// entry: one split per dimension over axes of `mesh`, blocks that divide
/// their dimension, pieces in files and ranks that exist, and a piece for
/// every rank's part.
Status checkEntry(const proto::ShardedTensor &t, const Kind &kind, const MeshShape &mesh,
                  int files, const std::string &manifest) {
  const std::string where = "'" + manifest + "': " + kind.noun + " '" + t.name() + "' ";
  if (t.dims_size() != t.global_shape_size())
    return dataLoss(where + "has " + std::to_string(t.dims_size()) + " splits for " +
                    std::to_string(t.global_shape_size()) + " dimensions");
  for (int d = 0; d < t.dims_size(); ++d) {
    for (uint32_t a : t.dims(d).axes())
      if (a >= mesh.axes().size())
        return dataLoss(where + "is split over mesh axis " + std::to_string(a) + ", but mesh " +
                        mesh.toString() + " has " + std::to_string(mesh.axes().size()) + " axes");
    int64_t blocks = std::max<int64_t>(1, t.dims(d).blocks());
    if (t.global_shape(d) < 0 || t.global_shape(d) % blocks != 0)
      return dataLoss(where + "has dimension " + std::to_string(d) + " of " +
                      std::to_string(t.global_shape(d)) + " in " + std::to_string(blocks) +
                      " blocks");
  }
  std::set<int64_t> saved;
  for (const proto::TensorPiece &p : t.pieces()) {
    if (p.file() >= uint32_t(files) || p.rank() < 0 || p.rank() >= mesh.numRanks())
      return dataLoss(where + "has a piece of rank " + std::to_string(p.rank()) + " in file #" +
                      std::to_string(p.file()) + "; the manifest names " + std::to_string(files) +
                      " files for " + std::to_string(mesh.numRanks()) + " ranks");
    saved.insert(p.rank());
  }
  std::vector<int64_t> owners = ownersOf(shardingOf(t), mesh);
  for (int64_t r = 0; r < mesh.numRanks(); ++r)
    if (!saved.count(owners[size_t(r)]))
      return dataLoss(where + "lists no piece for the part of rank " + std::to_string(r) +
                      "; the checkpoint is corrupt");
  return Status::ok();
}

/// This rank's piece of `t`, assembled from the saved pieces that overlap it.
StatusOr<HostTensor> assemblePiece(const proto::ShardedTensor &t, const Kind &kind,
                                   const MeshShape &savedMesh, const std::vector<DimPiece> &mine,
                                   ShardReader &reader) {
  const std::vector<int64_t> global(t.global_shape().begin(), t.global_shape().end());
  const size_t elementSize = dtypeSize(t.dtype());
  const proto::BufferSharding sharding = shardingOf(t);
  HostTensor whole(t.dtype(), global);
  for (const proto::TensorPiece &p : t.pieces()) {
    std::vector<DimPiece> saved = piecesOf(sharding, savedMesh, p.rank());
    if (!piecesOverlap(global, mine, saved))
      continue;
    auto stored = reader.piece(p.file(), kind, t.name());
    if (!stored.isOk())
      return stored.status();
    const proto::CheckpointTensor &s = **stored;
    const std::vector<int64_t> want = localShape(global, saved);
    const std::string where = "'" + reader.path(p.file()) + "': " + kind.noun + " '" + t.name() + "' ";
    if (s.checksum() != p.checksum())
      return dataLoss(where + "has checksum " + std::to_string(s.checksum()) +
                      ", the manifest expects " + std::to_string(p.checksum()) +
                      "; the shard file is not the one this checkpoint wrote");
    if (s.dtype() != t.dtype() || std::vector<int64_t>(s.shape().begin(), s.shape().end()) != want)
      return dataLoss(where + "is " + dtypeName(s.dtype()) +
                      shapeString({s.shape().begin(), s.shape().end()}) + ", but rank " +
                      std::to_string(p.rank()) + "'s piece is " + dtypeName(t.dtype()) +
                      shapeString(want) + "; the checkpoint is corrupt");
    insertShard(s.data().data(), global, elementSize, saved, whole.bytes.data());
  }
  HostTensor piece(t.dtype(), localShape(global, mine));
  extractShard(whole.bytes.data(), global, elementSize, mine, piece.bytes.data());
  return piece;
}

/// Restores one kind of buffer from a manifest.
Status restoreKind(const proto::Checkpoint &manifest, const Kind &kind, const MeshShape &savedMesh,
                   const std::string &manifestPath, ShardReader &reader, Executor &executor) {
  std::map<std::string, const proto::ShardedTensor *> byName;
  for (const proto::ShardedTensor &t : shardedOf(manifest.shards(), kind)) {
    if (!byName.emplace(t.name(), &t).second)
      return dataLoss("'" + manifestPath + "': " + kind.noun + " '" + t.name() +
                      "' appears twice; the checkpoint is corrupt");
    WEFT_RETURN_IF_ERROR(
        checkEntry(t, kind, savedMesh, manifest.shards().files_size(), manifestPath));
  }
  for (const std::string &name : namesOf(executor, kind)) {
    auto it = byName.find(name);
    if (it == byName.end())
      return notFound("checkpoint '" + manifestPath + "' has no " + kind.noun + " '" + name +
                      "', which the model needs; was it written for another model or optimizer?");
    const proto::ShardedTensor &t = *it->second;
    const proto::Buffer &b = *executor.buffer(kind.buffer, name);
    const std::vector<int64_t> want = wholeShapeOf(b);
    const std::vector<int64_t> shape(t.global_shape().begin(), t.global_shape().end());
    if (t.dtype() != b.dtype() || shape != want)
      return invalidArgument(std::string(kind.noun) + " '" + name + "' in '" + manifestPath +
                             "' is " + dtypeName(t.dtype()) + " " + shapeString(shape) +
                             " but the model has " + dtypeName(b.dtype()) + " " + shapeString(want) +
                             "; the checkpoint belongs to another configuration");
    auto piece = assemblePiece(t, kind, savedMesh,
                               piecesOfBuffer(b, executor.mesh(), executor.rank()), reader);
    if (!piece.isOk())
      return piece.status();
    WEFT_RETURN_IF_ERROR(executor.setLocalPiece(kind.buffer, name, *piece));
    byName.erase(it);
  }
  if (!byName.empty())
    return notFound("checkpoint '" + manifestPath + "' holds " + kind.noun + " '" +
                    byName.begin()->first + "', which the model does not have; was it written "
                    "for another model?");
  return Status::ok();
}

} // namespace

bool isShardFileName(std::string_view name) {
  return name.substr(0, 6) == "shard-" && name.size() > 9 && name.substr(name.size() - 3) == ".pb";
}

std::string shardFileName(uint64_t step, int64_t rank, int64_t ranks) {
  return "shard-" + std::to_string(step) + "-rank" + std::to_string(rank) + "-of-" +
         std::to_string(ranks) + ".pb";
}

Status saveShardedCheckpoint(const std::string &dir, const proto::Checkpoint &meta,
                             const Executor &executor, Communicator &world) {
  const MeshShape &mesh = executor.mesh();
  const int64_t ranks = mesh.numRanks(), me = executor.rank();
  if (world.size() != ranks || world.rank() != me)
    return invalidArgument("saveShardedCheckpoint: the communicator is rank " +
                           std::to_string(world.rank()) + " of " + std::to_string(world.size()) +
                           ", the executor rank " + std::to_string(me) + " of mesh " + mesh.toString());
  if (::mkdir(dir.c_str(), 0777) != 0 && errno != EEXIST)
    return errnoStatus(errno, "cannot create checkpoint directory", dir);
  // This rank's temporaries of interrupted saves (other ranks may be writing theirs).
  const std::string mine = "-rank" + std::to_string(me) + "-of-";
  removeFilesIf(dir, [&](std::string_view name) {
    return name.substr(0, 6) == "shard-" && name.find(mine) != std::string_view::npos &&
           name.find(".pb.tmp.") != std::string_view::npos;
  });

  // 1. The manifest's entries (every rank computes all of them) and this
  //    rank's pieces: one checksum slot per piece, in entry order.
  proto::Checkpoint manifest = meta;
  manifest.clear_parameters();
  manifest.clear_optimizer_state();
  manifest.set_format_version(kShardedCheckpointFormat);
  proto::ShardIndex &index = *manifest.mutable_shards();
  index.Clear();
  *index.mutable_mesh() = executor.executable().proto().mesh();
  proto::Checkpoint shard;
  shard.set_format_version(kShardedCheckpointFormat);
  shard.set_step(meta.step());
  std::vector<int64_t> slots;
  std::vector<bool> owns(size_t(ranks), false);
  for (const Kind &kind : kKinds) {
    for (const std::string &name : namesOf(executor, kind)) {
      const proto::Buffer &b = *executor.buffer(kind.buffer, name);
      proto::ShardedTensor &t = *shardedOf(index, kind)->Add();
      t.set_name(name);
      t.set_dtype(b.dtype());
      for (int64_t d : wholeShapeOf(b))
        t.add_global_shape(d);
      if (b.has_sharding())
        *t.mutable_dims() = b.sharding().dims();
      else
        for (int d = 0; d < b.shape_size(); ++d)
          t.add_dims();
      std::vector<int64_t> owners = ownersOf(shardingOf(t), mesh);
      for (int64_t r = 0; r < ranks; ++r) {
        if (owners[size_t(r)] != r)
          continue;
        t.add_pieces()->set_rank(r);
        owns[size_t(r)] = true;
        slots.push_back(0);
        if (r != me)
          continue;
        auto piece = executor.localPiece(kind.buffer, name);
        if (!piece.isOk())
          return piece.status();
        proto::CheckpointTensor &stored = kind.state ? *shard.add_optimizer_state()
                                                     : *shard.add_parameters();
        tensorToProto(name, *piece, stored);
        slots.back() = asSlot(stored.checksum());
      }
    }
  }

  // 2. Each rank's shard file, then one all_reduce: every piece's checksum and
  //    every rank's success reach every rank (and all files are in place).
  const std::string shardName = shardFileName(meta.step(), me, ranks);
  Status wrote = Status::ok();
  if (owns[size_t(me)]) {
    std::string bytes = checkpointToBytes(shard);
    wrote = writeFileAtomically(dir + "/" + shardName, {bytes});
  }
  const size_t failedAt = slots.size();
  slots.resize(failedAt + size_t(ranks), 0);
  slots[failedAt + size_t(me)] = wrote.isOk() ? 0 : 1;
  WEFT_RETURN_IF_ERROR(world.allReduce(slots.data(), slots.data(), slots.size(), proto::I64,
                                       ReduceOp::kSum, "checkpoint shard checksums"));
  if (!wrote.isOk())
    return Status(wrote.code(), "cannot save checkpoint shard: " + wrote.message());
  for (int64_t r = 0; r < ranks; ++r)
    if (slots[failedAt + size_t(r)] != 0)
      return unavailable("cannot save the checkpoint: rank " + std::to_string(r) +
                         " could not write '" + dir + "/" + shardFileName(meta.step(), r, ranks) +
                         "' (its error says why)");

  // 3. Rank 0: the manifest, written last; then the shard files it does not name.
  std::vector<uint32_t> fileOf(size_t(ranks), 0);
  for (int64_t r = 0; r < ranks; ++r)
    if (owns[size_t(r)]) {
      fileOf[size_t(r)] = uint32_t(index.files_size());
      index.add_files(shardFileName(meta.step(), r, ranks));
    }
  size_t slot = 0;
  for (const Kind &kind : kKinds)
    for (proto::ShardedTensor &t : *shardedOf(index, kind))
      for (proto::TensorPiece &p : *t.mutable_pieces()) {
        p.set_file(fileOf[size_t(p.rank())]);
        p.set_checksum(static_cast<uint64_t>(slots[slot++]));
      }
  int64_t manifestFailed = 0;
  Status written = Status::ok();
  if (me == 0) {
    written = saveCheckpoint(dir, manifest);
    manifestFailed = written.isOk() ? 0 : 1;
    if (written.isOk()) {
      std::set<std::string> current(index.files().begin(), index.files().end());
      // No rank writes a shard now (all did before the all_reduce), so the
      // temporaries of any rank's interrupted saves can go too.
      removeFilesIf(dir, [&](std::string_view name) {
        return (isShardFileName(name) && !current.count(std::string(name))) ||
               (name.substr(0, 6) == "shard-" && name.find(".pb.tmp.") != std::string_view::npos);
      });
    }
  }
  // Every rank returns once the manifest is in place (or knows it is not).
  WEFT_RETURN_IF_ERROR(world.allReduce(&manifestFailed, &manifestFailed, 1, proto::I64,
                                       ReduceOp::kSum, "checkpoint manifest written"));
  if (!written.isOk())
    return written;
  if (manifestFailed)
    return unavailable("cannot save the checkpoint: rank 0 could not write the manifest '" + dir +
                       "/" + kCheckpointFile + "' (its error says why)");
  return Status::ok();
}

Status restoreCheckpoint(const std::string &dir, const proto::Checkpoint &checkpoint,
                         Executor &executor) {
  if (checkpoint.format_version() != kShardedCheckpointFormat)
    return restoreTensors(checkpoint, executor);
  const std::string manifestPath = dir + "/" + kCheckpointFile;
  auto savedMesh = MeshShape::fromProto(checkpoint.shards().mesh());
  if (!savedMesh.isOk())
    return dataLoss("'" + manifestPath + "' has an invalid mesh: " + savedMesh.status().message());
  for (const std::string &file : checkpoint.shards().files())
    if (!isShardFileName(file) || file.find('/') != std::string::npos)
      return dataLoss("'" + manifestPath + "' names shard file '" + file +
                      "', which is not of the form shard-<step>-rank<r>-of-<n>.pb");
  ShardReader reader(dir, checkpoint);
  for (const Kind &kind : kKinds)
    WEFT_RETURN_IF_ERROR(restoreKind(checkpoint, kind, *savedMesh, manifestPath, reader, executor));
  return Status::ok();
}

} // namespace weft::rt
