//===- SymbolResolver.h - typed symbols of a dlopen'ed library ---*- C++ -*-===//
//
// This file implements SymbolResolver, which the CUDA runtime's loaders (the
// driver, cuBLASLt) use to fill their tables of entry points from a library
// opened with dlopen, collecting the names the library lacks so that one
// Status can list them all.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_CUDA_SYMBOLRESOLVER_H
#define WEFT_RUNTIME_CUDA_SYMBOLRESOLVER_H

#include <dlfcn.h>

#include <string>
#include <type_traits>

namespace weft::rt::cuda {

/// Resolves symbols of one dlopen'ed library into typed function pointers.
class SymbolResolver {
public:
  explicit SymbolResolver(void *library) : library_(library) {}

  /// Sets `fn` to symbol `name` (null when absent, and the name is noted).
  template <typename Fn> void operator()(Fn &fn, const char *name) {
    void *symbol = dlsym(library_, name);
    if (!symbol)
      missing_ += (missing_.empty() ? "" : ", ") + std::string(name);
    fn = reinterpret_cast<std::remove_reference_t<Fn>>(symbol);
  }

  /// The names not found so far, comma-separated; empty when all were.
  const std::string &missing() const { return missing_; }

private:
  void *library_;
  std::string missing_;
};

} // namespace weft::rt::cuda

#endif // WEFT_RUNTIME_CUDA_SYMBOLRESOLVER_H
