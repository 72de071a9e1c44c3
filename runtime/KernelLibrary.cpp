//===- KernelLibrary.cpp - loading kernels from bytes ---------------------===//
//
// This file implements KernelLibrary::load and lookup. The image is written to
// an anonymous memfd and dlopen'ed through /proc/self/fd/N, so no writable
// directory is needed. glibc treats a dlopen of a path it has already loaded
// as the same library, so the memfd stays open while the library is loaded
// (its fd number, and so its path, cannot be reused), and when a stale library
// with that path is still resident (RTLD_NOLOAD finds it) the image goes
// through a uniquely named temporary file instead, which is also the fallback
// when memfd_create fails. The temporary file is unlinked right after dlopen.
//
//===----------------------------------------------------------------------===//

#include "runtime/KernelLibrary.h"
#include "runtime/cpu/OpenMp.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

namespace weft::rt {

namespace {

bool writeAll(int fd, const char *data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

std::string dlErrorText() {
  const char *err = dlerror();
  return err ? err : "unknown dlopen error";
}

/// Tries the memfd route; returns the handle (and keeps `fd` open) or null.
/// `dlopenFailed` tells a rejected image apart from an unusable memfd.
void *openThroughMemfd(std::string_view image, int &fd, std::string &error, bool &dlopenFailed) {
  dlopenFailed = false;
  fd = static_cast<int>(::memfd_create("weft-kernels", MFD_CLOEXEC));
  if (fd < 0) {
    error = std::string("memfd_create failed: ") + std::strerror(errno);
    return nullptr;
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  if (void *stale = dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD)) {
    dlclose(stale);  // drop the reference NOLOAD just took
    error = "a library at " + path + " is still resident";
    ::close(fd);
    fd = -1;
    return nullptr;
  }
  if (!writeAll(fd, image.data(), image.size())) {
    error = std::string("writing the memfd failed: ") + std::strerror(errno);
    ::close(fd);
    fd = -1;
    return nullptr;
  }
  void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    error = dlErrorText();
    dlopenFailed = true;
    ::close(fd);
    fd = -1;
  }
  return handle;
}

/// The fallback: a temporary file, unlinked as soon as dlopen has mapped it.
void *openThroughTempFile(std::string_view image, std::string &error) {
  const char *tmpdir = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/weft-kernels-XXXXXX.so";
  std::vector<char> path(tmpl.begin(), tmpl.end());
  path.push_back('\0');
  int fd = ::mkstemps(path.data(), 3);
  if (fd < 0) {
    error = "cannot create a temporary file " + tmpl + ": " + std::strerror(errno);
    return nullptr;
  }
  bool written = writeAll(fd, image.data(), image.size());
  ::close(fd);
  void *handle = nullptr;
  if (!written)
    error = std::string("writing ") + path.data() + " failed: " + std::strerror(errno);
  else if (!(handle = dlopen(path.data(), RTLD_NOW | RTLD_LOCAL)))
    error = dlErrorText();
  ::unlink(path.data());
  return handle;
}

} // namespace

StatusOr<std::unique_ptr<KernelLibrary>> KernelLibrary::load(std::string_view image,
                                                             const std::string &source) {
  std::string where = "kernel library of '" + source + "'";
  if (image.size() < 4 || std::memcmp(image.data(), "\x7f" "ELF", 4) != 0)
    return invalidArgument(where + " is not an ELF shared object (" + std::to_string(image.size()) +
                           " bytes, no ELF magic)");
  stopOpenMpSpinning(); // before the kernels' first parallel region
  int fd = -1;
  std::string memfdError, fileError;
  bool dlopenFailed = false;
  void *handle = openThroughMemfd(image, fd, memfdError, dlopenFailed);
  if (!handle && !dlopenFailed)
    handle = openThroughTempFile(image, fileError);
  if (!handle)
    return invalidArgument("cannot load " + where + ": " + memfdError +
                           (fileError.empty() ? "" : "; via a temporary file: " + fileError));
  return std::unique_ptr<KernelLibrary>(new KernelLibrary(handle, fd, source));
}

KernelLibrary::~KernelLibrary() {
  if (handle_)
    dlclose(handle_);
  if (memfd_ >= 0)
    ::close(memfd_);
}

StatusOr<KernelFn> KernelLibrary::lookup(const std::string &symbol) const {
  dlerror();
  void *address = dlsym(handle_, symbol.c_str());
  if (!address)
    return notFound("kernel symbol '" + symbol + "' is not exported by the kernel library of '" +
                    source_ + "' (" + dlErrorText() + ")");
  return reinterpret_cast<KernelFn>(address);
}

} // namespace weft::rt
