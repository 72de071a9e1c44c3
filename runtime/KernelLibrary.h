//===- KernelLibrary.h - an executable's CPU kernels in memory --*- C++ -*-===//
//
// This file implements KernelLibrary: the CPU kernel_library bytes of an
// Executable (an ELF shared object) loaded into the process without needing a
// writable path — through memfd_create and dlopen("/proc/self/fd/N"), or,
// where memfd is unavailable, a temporary file unlinked right after dlopen —
// and the lookup of kernel symbols in it.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_KERNELLIBRARY_H
#define WEFT_RUNTIME_KERNELLIBRARY_H

#include "runtime/Status.h"

#include <memory>
#include <string>
#include <string_view>

namespace weft::rt {

/// Every CPU kernel's signature: args[i] is the address of its i-th buffer.
using KernelFn = void (*)(void **args);

/// A loaded shared object of kernels; unloaded (dlclose) on destruction.
class KernelLibrary {
public:
  /// Loads the ELF shared object `image`; `source` names it in errors.
  static StatusOr<std::unique_ptr<KernelLibrary>> load(std::string_view image,
                                                       const std::string &source);
  ~KernelLibrary();
  KernelLibrary(const KernelLibrary &) = delete;
  KernelLibrary &operator=(const KernelLibrary &) = delete;

  /// Resolves `symbol` (extern "C"); the error names the symbol and the source.
  StatusOr<KernelFn> lookup(const std::string &symbol) const;
  /// True when the library came in through memfd (false: temporary file).
  bool loadedFromMemfd() const { return memfd_ >= 0; }

private:
  KernelLibrary(void *handle, int memfd, std::string source)
      : handle_(handle), memfd_(memfd), source_(std::move(source)) {}

  void *handle_;
  int memfd_;  // kept open while loaded so "/proc/self/fd/N" stays unique
  std::string source_;
};

} // namespace weft::rt

#endif // WEFT_RUNTIME_KERNELLIBRARY_H
