//===- Executable.cpp - framing, loading and atomic saving ----------------===//
//
// This file implements the on-disk form of an Executable described in
// Executable.h: building and checking the 32-byte framing header, reading a
// file whole, and saving through a temporary file that is fsync'ed and then
// renamed, so that a reader never sees a half-written executable.
//
//===----------------------------------------------------------------------===//

#include "runtime/Executable.h"

#include "runtime/FileUtil.h"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace weft::rt {

namespace {

void putLE(std::string &out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

uint64_t getLE(std::string_view in, size_t offset, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i)
    value |= uint64_t(static_cast<uint8_t>(in[offset + i])) << (8 * i);
  return value;
}

std::string errnoText() { return std::strerror(errno); }


/// Reads the whole file at `path` into `out`.
Status readFile(const std::string &path, std::string &out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      return notFound("cannot open executable '" + path + "': no such file");
    return invalidArgument("cannot open executable '" + path + "': " + errnoText());
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return invalidArgument("cannot read executable '" + path + "': not a regular file");
  }
  out.clear();
  out.reserve(static_cast<size_t>(st.st_size));
  char chunk[1 << 16];
  while (true) {
    ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      std::string err = errnoText();
      ::close(fd);
      return dataLoss("cannot read executable '" + path + "': " + err);
    }
    if (n == 0)
      break;
    out.append(chunk, static_cast<size_t>(n));
  }
  ::close(fd);
  return Status::ok();
}


} // namespace

uint64_t fnv1a64(std::string_view bytes) {
  uint64_t hash = 14695981039346656037ull;
  for (char c : bytes) {
    hash ^= static_cast<uint8_t>(c);
    hash *= 1099511628211ull;
  }
  return hash;
}

StatusOr<Executable> Executable::fromBytes(std::string_view bytes,
                                           std::string_view source) {
  std::string where = "executable '" + std::string(source) + "'";
  if (bytes.empty())
    return dataLoss(where + " is empty (0 bytes); expected a " +
                    std::to_string(kFrameHeaderSize) + "-byte header and a payload");
  if (bytes.size() >= 8 && std::memcmp(bytes.data(), kExecutableMagic, 8) != 0)
    return invalidArgument(where + " is not a weft executable: wrong magic "
                           "(expected \"WEFTEXE\\0\" at offset 0)");
  if (bytes.size() < kFrameHeaderSize) {
    if (std::memcmp(bytes.data(), kExecutableMagic, bytes.size() < 8 ? bytes.size() : 8) != 0)
      return invalidArgument(where + " is not a weft executable: wrong magic "
                             "(expected \"WEFTEXE\\0\" at offset 0)");
    return dataLoss(where + " is truncated: " + std::to_string(bytes.size()) +
                    " bytes, shorter than the " + std::to_string(kFrameHeaderSize) +
                    "-byte header");
  }
  uint64_t framing = getLE(bytes, 8, 4);
  if (framing != kFramingVersion)
    return invalidArgument(where + " has framing version " + std::to_string(framing) +
                           "; this runtime reads version " +
                           std::to_string(kFramingVersion) +
                           (framing > kFramingVersion ? " (written by a newer weft: rebuild the runtime "
                                                        "or recompile the program)"
                                                      : ""));
  uint64_t length = getLE(bytes, 16, 8);
  uint64_t checksum = getLE(bytes, 24, 8);
  uint64_t available = bytes.size() - kFrameHeaderSize;
  if (length > available)
    return dataLoss(where + " is truncated: the header announces a " + std::to_string(length) +
                    "-byte payload but only " + std::to_string(available) +
                    " bytes follow it");
  if (length < available)
    return dataLoss(where + " has " + std::to_string(available - length) +
                    " unexpected bytes after its " + std::to_string(length) + "-byte payload");
  std::string_view payload = bytes.substr(kFrameHeaderSize);
  uint64_t actual = fnv1a64(payload);
  if (actual != checksum) {
    char buf[96];
    std::snprintf(buf, sizeof(buf), " (header 0x%016llx, payload 0x%016llx)",
                  static_cast<unsigned long long>(checksum),
                  static_cast<unsigned long long>(actual));
    return dataLoss(where + " is corrupt: payload checksum mismatch" + buf);
  }
  if (length > static_cast<uint64_t>(INT_MAX))
    return invalidArgument(where + " has a " + std::to_string(length) +
                           "-byte payload, larger than protobuf's 2 GiB limit");
  proto::Executable message;
  if (!message.ParseFromArray(payload.data(), static_cast<int>(payload.size())))
    return dataLoss(where + " is corrupt: its payload is not a valid weft.proto.Executable message");
  Executable exe(std::move(message), std::string(source));
  WEFT_RETURN_IF_ERROR(exe.validate());
  return exe;
}

StatusOr<Executable> Executable::load(const std::string &path) {
  std::string bytes;
  WEFT_RETURN_IF_ERROR(readFile(path, bytes));
  return fromBytes(bytes, path);
}

std::string Executable::toBytes() const {
  std::string payload;
  proto_.SerializeToString(&payload);
  std::string out;
  out.reserve(kFrameHeaderSize + payload.size());
  out.append(kExecutableMagic, 8);
  putLE(out, kFramingVersion, 4);
  putLE(out, 0, 4);
  putLE(out, payload.size(), 8);
  putLE(out, fnv1a64(payload), 8);
  out += payload;
  return out;
}

Status Executable::save(const std::string &path) const {
  std::string bytes = toBytes();
  Status s = writeFileAtomically(path, {bytes});
  if (!s.isOk())
    return Status(s.code(), "cannot save executable: " + s.message());
  return Status::ok();
}

} // namespace weft::rt
