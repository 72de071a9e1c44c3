//===- Safetensors.cpp - Hugging Face safetensors files ---------------------===//
//
// This file implements SafetensorsFile (mmap + header validation + reads) and
// writeSafetensors. The header is parsed with nlohmann::json; every field is
// checked before any tensor is handed out, and each error names the file and
// the tensor at fault.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/Safetensors.h"

#include "runtime/FileUtil.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <set>

namespace weft::rt {

static_assert(std::endian::native == std::endian::little,
              "the safetensors reader and writer assume a little-endian host");

namespace {

constexpr const char *kMetadataKey = "__metadata__";

/// Maps a safetensors dtype string to a DType (DTYPE_INVALID when weft has none).
DType dtypeFromString(const std::string &s) {
  if (s == "F32") return weft::proto::F32;
  if (s == "F16") return weft::proto::F16;
  if (s == "BF16") return weft::proto::BF16;
  if (s == "I32") return weft::proto::I32;
  if (s == "I64") return weft::proto::I64;
  if (s == "BOOL") return weft::proto::I1;
  if (s == "I8") return weft::proto::I8;
  return weft::proto::DTYPE_INVALID;
}

/// The safetensors spelling of `dtype`, or nullptr.
const char *dtypeToString(DType dtype) {
  switch (dtype) {
  case weft::proto::F32: return "F32";
  case weft::proto::F16: return "F16";
  case weft::proto::BF16: return "BF16";
  case weft::proto::I32: return "I32";
  case weft::proto::I64: return "I64";
  case weft::proto::I1: return "BOOL";
  case weft::proto::I8: return "I8";
  default: return nullptr;
  }
}

/// "[3, 7]" for a pair of offsets.
std::string rangeString(uint64_t begin, uint64_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + "]";
}

/// Checks and decodes one tensor entry of the header into `info`.
Status parseEntry(const std::string &where, const nlohmann::json &entry, uint64_t dataSize,
                  SafetensorsFile::TensorInfo &info) {
  if (!entry.is_object())
    return dataLoss(where + "entry is not a JSON object");
  auto dtypeIt = entry.find("dtype");
  if (dtypeIt == entry.end() || !dtypeIt->is_string())
    return dataLoss(where + "missing string field \"dtype\"");
  std::string dtypeStr = dtypeIt->get<std::string>();
  info.dtype = dtypeFromString(dtypeStr);
  if (info.dtype == weft::proto::DTYPE_INVALID)
    return invalidArgument(where + "unsupported dtype '" + dtypeStr +
                           "' (weft reads F32, F16, BF16, I32, I64, BOOL); convert the "
                           "checkpoint, e.g. to F32");

  auto shapeIt = entry.find("shape");
  if (shapeIt == entry.end() || !shapeIt->is_array())
    return dataLoss(where + "missing list field \"shape\"");
  info.shape.clear();
  uint64_t numel = 1;
  for (const nlohmann::json &d : *shapeIt) {
    if (!d.is_number_unsigned() ||
        d.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return dataLoss(where + "shape " + shapeIt->dump() +
                      " must hold non-negative integers");
    uint64_t dim = d.get<uint64_t>();
    if (dim != 0 && numel > std::numeric_limits<uint64_t>::max() / dim)
      return dataLoss(where + "shape " + shapeIt->dump() + " is too large");
    numel *= dim;
    info.shape.push_back(static_cast<int64_t>(dim));
  }
  // numel * size must also fit: dataSize bounds any valid byte count.
  uint64_t itemSize = dtypeSize(info.dtype);

  auto offIt = entry.find("data_offsets");
  if (offIt == entry.end() || !offIt->is_array() || offIt->size() != 2 ||
      !(*offIt)[0].is_number_unsigned() || !(*offIt)[1].is_number_unsigned())
    return dataLoss(where + "\"data_offsets\" must be a list of two non-negative integers");
  info.dataBegin = (*offIt)[0].get<uint64_t>();
  info.dataEnd = (*offIt)[1].get<uint64_t>();
  if (info.dataBegin > info.dataEnd)
    return dataLoss(where + "data_offsets " + rangeString(info.dataBegin, info.dataEnd) +
                    " end before they begin");
  if (info.dataEnd > dataSize)
    return dataLoss(where + "data_offsets " + rangeString(info.dataBegin, info.dataEnd) +
                    " lie outside the data section of " + std::to_string(dataSize) +
                    " bytes (file truncated?)");
  uint64_t span = info.dataEnd - info.dataBegin;
  if (numel > std::numeric_limits<uint64_t>::max() / itemSize || numel * itemSize != span)
    return dataLoss(where + "data_offsets " + rangeString(info.dataBegin, info.dataEnd) + " span " +
                    std::to_string(span) + " bytes but dtype " + dtypeStr + " and shape " +
                    shapeString(info.shape) + " need " +
                    (numel > std::numeric_limits<uint64_t>::max() / itemSize
                         ? std::string("more than 2^64")
                         : std::to_string(numel * itemSize)));
  return Status::ok();
}

} // namespace

StatusOr<SafetensorsFile> SafetensorsFile::open(const std::string &path) {
  auto mapped = MappedFile::open(path);
  if (!mapped.isOk())
    return Status(mapped.status().code(), "safetensors: " + mapped.status().message());
  std::shared_ptr<const MappedFile> file = mapped.value();
  std::string where = "safetensors '" + path + "': ";

  if (file->size() < 8)
    return dataLoss(where + "file is " + std::to_string(file->size()) +
                    " bytes, too short for the 8-byte header length");
  uint64_t headerLen = 0;
  for (int i = 0; i < 8; ++i)
    headerLen |= static_cast<uint64_t>(file->data()[i]) << (8 * i);
  if (headerLen > file->size() - 8)
    return dataLoss(where + "header length " + std::to_string(headerLen) +
                    " exceeds the file size (" + std::to_string(file->size()) +
                    " bytes): truncated or not a safetensors file");

  const char *headerBegin = reinterpret_cast<const char *>(file->data()) + 8;
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(headerBegin, headerBegin + headerLen);
  } catch (const nlohmann::json::exception &e) {
    return dataLoss(where + "header is not valid JSON: " + e.what());
  }
  if (!header.is_object())
    return dataLoss(where + "header is not a JSON object");

  SafetensorsFile result;
  result.path_ = path;
  result.dataStart_ = 8 + headerLen;
  uint64_t dataSize = file->size() - result.dataStart_;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string &name = it.key();
    if (name == kMetadataKey) {
      if (!it.value().is_object())
        return dataLoss(where + "__metadata__ is not a JSON object");
      for (auto m = it.value().begin(); m != it.value().end(); ++m) {
        if (!m.value().is_string())
          return dataLoss(where + "__metadata__ must map strings to strings; key '" + m.key() +
                          "' holds " + m.value().dump());
        result.metadata_[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    TensorInfo info;
    WEFT_RETURN_IF_ERROR(parseEntry(where + "tensor '" + name + "': ", it.value(), dataSize, info));
    result.tensors_.emplace(name, std::move(info));
    result.order_.push_back(name);
  }

  // File order; then the non-empty byte ranges must tile the data section
  // exactly, as the format requires: no overlap, no gap, nothing after the
  // last tensor. A header length that is off by a few bytes shifts every
  // tensor and leaves bytes over at the end, so it is caught here rather than
  // read as garbage weights.
  std::stable_sort(result.order_.begin(), result.order_.end(),
                   [&](const std::string &a, const std::string &b) {
                     const TensorInfo &x = result.tensors_.at(a), &y = result.tensors_.at(b);
                     return std::pair(x.dataBegin, x.dataEnd) < std::pair(y.dataBegin, y.dataEnd);
                   });
  const std::string *previous = nullptr; // the last non-empty tensor so far
  uint64_t cursor = 0;                   // where its data ends
  for (const std::string &name : result.order_) {
    const TensorInfo &info = result.tensors_.at(name);
    if (info.dataBegin == info.dataEnd)
      continue;
    if (info.dataBegin < cursor) {
      const TensorInfo &prev = result.tensors_.at(*previous);
      return dataLoss(where + "tensor '" + name + "' at " +
                      rangeString(info.dataBegin, info.dataEnd) + " overlaps tensor '" +
                      *previous + "' at " + rangeString(prev.dataBegin, prev.dataEnd));
    }
    if (info.dataBegin > cursor)
      return dataLoss(where + "the data section has a gap of " +
                      std::to_string(info.dataBegin - cursor) + " bytes at offset " +
                      std::to_string(cursor) + ", before tensor '" + name + "' at " +
                      rangeString(info.dataBegin, info.dataEnd) +
                      "; the tensors must cover the data section exactly");
    cursor = info.dataEnd;
    previous = &name;
  }
  if (cursor != dataSize)
    return dataLoss(where + "the tensors cover " + std::to_string(cursor) +
                    " bytes but the data section after the " + std::to_string(headerLen) +
                    "-byte header holds " + std::to_string(dataSize) +
                    " (trailing bytes, or a wrong header length)");
  result.file_ = std::move(file);
  return result;
}

std::vector<std::string> SafetensorsFile::names() const { return order_; }

bool SafetensorsFile::contains(const std::string &name) const {
  return tensors_.count(name) != 0;
}

Status SafetensorsFile::notFoundError(const std::string &name) const {
  std::string message = "safetensors '" + path_ + "': no tensor named '" + name + "'";
  if (order_.empty())
    return notFound(message + " (the file holds no tensors)");
  message += " (the file holds " + std::to_string(order_.size()) + " tensors, e.g. ";
  for (size_t i = 0; i < order_.size() && i < 4; ++i)
    message += (i ? ", '" : "'") + order_[i] + "'";
  return notFound(message + ")");
}

StatusOr<SafetensorsFile::TensorInfo> SafetensorsFile::info(const std::string &name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end())
    return notFoundError(name);
  return it->second;
}

Status SafetensorsFile::checkBools(const HostTensor &t, const std::string &name) const {
  if (t.dtype != weft::proto::I1)
    return Status::ok();
  for (size_t i = 0; i < t.bytes.size(); ++i)
    if (t.bytes[i] > 1)
      return dataLoss("safetensors '" + path_ + "': tensor '" + name + "': BOOL element " +
                      std::to_string(i) + " is " + std::to_string(t.bytes[i]) + ", not 0 or 1");
  return Status::ok();
}

StatusOr<HostTensor> SafetensorsFile::read(const std::string &name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end())
    return notFoundError(name);
  const TensorInfo &info = it->second;
  HostTensor tensor(info.dtype, info.shape);
  uint64_t size = info.dataEnd - info.dataBegin;
  if (size)
    std::memcpy(tensor.bytes.data(), file_->data() + dataStart_ + info.dataBegin, size);
  WEFT_RETURN_IF_ERROR(checkBools(tensor, name));
  return tensor;
}

StatusOr<HostTensor> SafetensorsFile::readPiece(const std::string &name,
                                                const std::vector<DimPiece> &pieces) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end())
    return notFoundError(name);
  const TensorInfo &info = it->second;
  if (pieces.size() != info.shape.size())
    return invalidArgument("safetensors '" + path_ + "': tensor '" + name + "' has " +
                           std::to_string(info.shape.size()) + " dimensions, the piece asked for " +
                           std::to_string(pieces.size()));
  for (size_t d = 0; d < pieces.size(); ++d) {
    const DimPiece &p = pieces[d];
    if (p.ways < 1 || p.index < 0 || p.index >= p.ways || p.blocks < 1 || info.shape[d] % p.blocks)
      return invalidArgument("safetensors '" + path_ + "': tensor '" + name + "': dimension " +
                             std::to_string(d) + " of " + std::to_string(info.shape[d]) +
                             " cannot hold piece " + std::to_string(p.index) + " of " +
                             std::to_string(p.ways) + " in " + std::to_string(p.blocks) + " blocks");
  }
  HostTensor piece(info.dtype, localShape(info.shape, pieces));
  if (info.dataEnd > info.dataBegin) // only the piece's bytes are touched (the file is mapped)
    extractShard(file_->data() + dataStart_ + info.dataBegin, info.shape, dtypeSize(info.dtype),
                 pieces, piece.bytes.data());
  WEFT_RETURN_IF_ERROR(checkBools(piece, name));
  return piece;
}

Status writeSafetensors(const std::string &path,
                        const std::vector<std::pair<std::string, HostTensor>> &tensors,
                        const std::map<std::string, std::string> &metadata) {
  std::string where = "writeSafetensors '" + path + "': ";
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) {
    nlohmann::ordered_json meta = nlohmann::ordered_json::object();
    for (const auto &[key, value] : metadata)
      meta[key] = value;
    header[kMetadataKey] = std::move(meta);
  }
  std::set<std::string> seen;
  uint64_t offset = 0;
  for (const auto &[name, tensor] : tensors) {
    if (name.empty())
      return invalidArgument(where + "a tensor has an empty name");
    if (name == kMetadataKey)
      return invalidArgument(where + "'__metadata__' is reserved and cannot name a tensor");
    if (!seen.insert(name).second)
      return invalidArgument(where + "tensor name '" + name + "' appears twice");
    const char *dtype = dtypeToString(tensor.dtype);
    if (!dtype)
      return invalidArgument(where + "tensor '" + name + "' has unsupported dtype " +
                             dtypeName(tensor.dtype));
    int64_t numel = 1;
    for (int64_t d : tensor.shape) {
      if (d < 0 || (d != 0 && numel > std::numeric_limits<int64_t>::max() / d))
        return invalidArgument(where + "tensor '" + name + "' has invalid shape " +
                               shapeString(tensor.shape));
      numel *= d;
    }
    uint64_t expected = static_cast<uint64_t>(numel) * dtypeSize(tensor.dtype);
    if (tensor.bytes.size() != expected)
      return invalidArgument(where + "tensor '" + name + "' of shape " +
                             shapeString(tensor.shape) + " and dtype " + dtype + " needs " +
                             std::to_string(expected) + " bytes but holds " +
                             std::to_string(tensor.bytes.size()));
    header[name] = {{"dtype", dtype},
                    {"shape", tensor.shape},
                    {"data_offsets", {offset, offset + expected}}};
    offset += expected;
  }

  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::json::exception &e) {
    return invalidArgument(where + "a tensor name or metadata string is not valid UTF-8 (" +
                           e.what() + ")");
  }
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string lengthBytes(8, '\0');
  for (int i = 0; i < 8; ++i)
    lengthBytes[i] = static_cast<char>((static_cast<uint64_t>(text.size()) >> (8 * i)) & 0xff);

  std::vector<std::string_view> pieces{lengthBytes, text};
  for (const auto &entry : tensors)
    pieces.emplace_back(reinterpret_cast<const char *>(entry.second.bytes.data()),
                        entry.second.bytes.size());
  Status st = writeFileAtomically(path, pieces);
  if (!st.isOk())
    return Status(st.code(), "writeSafetensors: " + st.message());
  return Status::ok();
}

} // namespace weft::rt
