//===- CubinElf.h - reads what a cubin declares -----------------*- C++ -*-===//
//
// This file implements a minimal reader of the ELF images ptxas writes
// (cubins): the header fields that identify a CUDA object for a given GPU
// architecture, its section names and the functions its symbol table defines. The
// CUDA code generator tests use it to check cubins without a GPU.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_TESTS_CUDA_CUBINELF_H
#define WEFT_TESTS_CUDA_CUBINELF_H

#include <cstdint>
#include <cstring>
#include <optional>
#include <set>
#include <string>

namespace weft::test {

/// What a cubin's ELF header and symbol table say.
struct CubinInfo {
  uint16_t machine = 0;         ///< e_machine: 190 (EM_CUDA)
  uint32_t flags = 0;           ///< e_flags
  unsigned arch = 0;            ///< SM version from e_flags bits 8-15 (90: sm_90)
  std::set<std::string> functions; ///< FUNC symbols defined in the image
  std::set<std::string> sections;  ///< section names (".nv.rel.action": linked by nvlink)
};

namespace detail {
template <typename T> bool readAt(const std::string &image, uint64_t offset, T &out) {
  if (offset > image.size() || image.size() - offset < sizeof(T))
    return false;
  std::memcpy(&out, image.data() + offset, sizeof(T));
  return true;
}
} // namespace detail

/// Parses `image` as a little-endian ELF64 object; nullopt when it is not one
/// or a section lies outside the image.
inline std::optional<CubinInfo> readCubin(const std::string &image) {
  using detail::readAt;
  if (image.size() < 64 || image.compare(0, 4, "\x7f" "ELF") != 0 || image[4] != 2 ||
      image[5] != 1)
    return std::nullopt;
  CubinInfo info;
  uint64_t shoff = 0;
  uint16_t shentsize = 0, shnum = 0, shstrndx = 0;
  if (!readAt(image, 18, info.machine) || !readAt(image, 48, info.flags) ||
      !readAt(image, 40, shoff) || !readAt(image, 58, shentsize) || !readAt(image, 60, shnum) ||
      !readAt(image, 62, shstrndx) || shentsize < 64)
    return std::nullopt;
  info.arch = (info.flags >> 8) & 0xff;
  auto section = [&](uint32_t i, uint32_t &type, uint64_t &offset, uint64_t &size,
                     uint32_t &link) {
    uint64_t at = shoff + uint64_t(i) * shentsize;
    return readAt(image, at + 4, type) && readAt(image, at + 24, offset) &&
           readAt(image, at + 32, size) && readAt(image, at + 40, link) &&
           offset <= image.size() && size <= image.size() - offset;
  };
  uint32_t namesType = 0, namesLink = 0;
  uint64_t namesOffset = 0, namesSize = 0;
  bool haveNames = shstrndx < shnum &&
                   section(shstrndx, namesType, namesOffset, namesSize, namesLink);
  for (uint32_t i = 0; i < shnum; ++i) {
    uint32_t type = 0, link = 0, nameAt = 0;
    uint64_t offset = 0, size = 0;
    if (!section(i, type, offset, size, link))
      return std::nullopt;
    if (haveNames && readAt(image, shoff + uint64_t(i) * shentsize, nameAt) && nameAt < namesSize)
      info.sections.insert(std::string(image.c_str() + namesOffset + nameAt));
    if (type != 2) // SHT_SYMTAB
      continue;
    uint32_t strType = 0, strLink = 0;
    uint64_t strOffset = 0, strSize = 0;
    if (!section(link, strType, strOffset, strSize, strLink))
      return std::nullopt;
    for (uint64_t s = 0; s + 24 <= size; s += 24) {
      uint32_t name = 0;
      uint8_t symInfo = 0;
      uint16_t shndx = 0;
      readAt(image, offset + s, name);
      readAt(image, offset + s + 4, symInfo);
      readAt(image, offset + s + 6, shndx);
      if ((symInfo & 0xf) != 2 || shndx == 0 || name >= strSize) // STT_FUNC, defined
        continue;
      info.functions.insert(std::string(image.c_str() + strOffset + name));
    }
  }
  return info;
}

} // namespace weft::test

#endif // WEFT_TESTS_CUDA_CUBINELF_H
