//===- FileUtil.cpp - file system access of the runtime ---------------------===//
//
// This file implements the POSIX side of tensor I/O: errno → Status, reading
// whole files, read-only mmap, and atomic replacement of a file through a
// temporary file, fsync and rename.
//
//===----------------------------------------------------------------------===//

#include "runtime/FileUtil.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace weft::rt {

Status errnoStatus(int err, const std::string &what, const std::string &path) {
  std::string message = what + " '" + path + "': " + std::strerror(err);
  switch (err) {
  case ENOENT:
  case ENOTDIR:
    return notFound(std::move(message));
  case ENOSPC:
  case EDQUOT:
  case ENOMEM:
    return resourceExhausted(std::move(message));
  case EACCES:
  case EPERM:
  case EROFS:
    return failedPrecondition(std::move(message));
  default:
    return unavailable(std::move(message));
  }
}

namespace {

/// Closes a file descriptor when it goes out of scope.
struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0)
      ::close(fd);
  }
};

/// What a file that is not a regular one is, for error messages.
const char *fileKind(mode_t mode) {
  if (S_ISDIR(mode))
    return "a directory";
  if (S_ISFIFO(mode))
    return "a FIFO (named pipe)";
  if (S_ISCHR(mode))
    return "a character device";
  if (S_ISBLK(mode))
    return "a block device";
  if (S_ISSOCK(mode))
    return "a socket";
  return "not a regular file";
}

/// Opens `path` read-only and returns its size through `size`. Only regular
/// files are read: O_NONBLOCK keeps open() from waiting for a writer when
/// `path` is a FIFO (it has no effect on reads of a regular file).
Status openForReading(const std::string &path, int &fd, size_t &size) {
  fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return errnoStatus(errno, "cannot open", path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    fd = -1;
    return errnoStatus(err, "cannot stat", path);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    fd = -1;
    return invalidArgument("'" + path + "' is " + fileKind(st.st_mode) +
                           ", not a regular file; weft reads and writes regular files only");
  }
  size = static_cast<size_t>(st.st_size);
  return Status::ok();
}

/// Writes all of `piece` to `fd`, retrying short writes and EINTR.
Status writeAll(int fd, std::string_view piece, const std::string &path) {
  const char *p = piece.data();
  size_t left = piece.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return errnoStatus(errno, "cannot write", path);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return Status::ok();
}

/// The directory part of `path` ("." when it has none).
std::string directoryOf(const std::string &path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos)
    return ".";
  if (slash == 0)
    return "/";
  return path.substr(0, slash);
}

} // namespace

Status readWholeFile(const std::string &path, std::vector<uint8_t> &out) {
  int fd = -1;
  size_t size = 0;
  WEFT_RETURN_IF_ERROR(openForReading(path, fd, size));
  FdCloser closer{fd};
  out.resize(size);
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::read(fd, out.data() + done, size - done);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return errnoStatus(errno, "cannot read", path);
    }
    if (n == 0)
      break; // the file shrank under us: keep what is there
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  return Status::ok();
}

StatusOr<std::shared_ptr<const MappedFile>> MappedFile::open(const std::string &path) {
  int fd = -1;
  size_t size = 0;
  WEFT_RETURN_IF_ERROR(openForReading(path, fd, size));
  FdCloser closer{fd};
  const uint8_t *data = nullptr;
  if (size > 0) {
    void *p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED)
      return errnoStatus(errno, "cannot mmap", path);
    data = static_cast<const uint8_t *>(p);
  }
  return std::shared_ptr<const MappedFile>(new MappedFile(path, data, size));
}

MappedFile::~MappedFile() {
  if (data_)
    ::munmap(const_cast<uint8_t *>(data_), size_);
}

namespace {

/// Writes `pieces` straight into an existing special file (a character
/// device such as /dev/null or /dev/stdout, or a FIFO with a reader), which
/// must not be replaced by a regular file.
Status writeSpecialFile(const std::string &path, const std::vector<std::string_view> &pieces) {
  // O_NONBLOCK: a FIFO without a reader fails (ENXIO) instead of waiting.
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return errnoStatus(errno, errno == ENXIO ? "nothing reads from" : "cannot open", path);
  FdCloser closer{fd};
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0)
    ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  for (std::string_view piece : pieces)
    WEFT_RETURN_IF_ERROR(writeAll(fd, piece, path));
  return Status::ok();
}

} // namespace

Status writeFileAtomically(const std::string &path,
                           const std::vector<std::string_view> &pieces) {
  if (path.empty() || path.back() == '/')
    return invalidArgument("cannot write '" + path + "': not a file name");
  // Only a regular file (or a new one) is replaced; rename() over /dev/null
  // would turn the device into a regular file. A symbolic link is followed,
  // so the file it names is replaced and the link kept.
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))
      return writeSpecialFile(path, pieces);
    if (!S_ISREG(st.st_mode))
      return invalidArgument("cannot write '" + path + "': it is " + fileKind(st.st_mode));
    char resolved[PATH_MAX];
    struct stat lst;
    if (::lstat(path.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode) &&
        ::realpath(path.c_str(), resolved))
      return writeFileAtomically(resolved, pieces);
  }
  std::string tmpl = path + ".tmp.XXXXXX";
  std::vector<char> tmpName(tmpl.begin(), tmpl.end());
  tmpName.push_back('\0');
  int fd = ::mkostemp(tmpName.data(), O_CLOEXEC);
  if (fd < 0)
    return errnoStatus(errno, "cannot create a temporary file next to", path);
  std::string tmpPath(tmpName.data());

  auto fail = [&](Status status) {
    if (fd >= 0)
      ::close(fd);
    ::unlink(tmpPath.c_str());
    return status;
  };
  // mkostemp creates the file 0600; a tensor file is as readable as any other
  // file (0644; reading the umask would mean changing it, which races threads).
  if (::fchmod(fd, 0644) != 0)
    return fail(errnoStatus(errno, "cannot set the mode of", tmpPath));
  for (std::string_view piece : pieces) {
    Status st = writeAll(fd, piece, tmpPath);
    if (!st.isOk())
      return fail(st);
  }
  if (::fsync(fd) != 0)
    return fail(errnoStatus(errno, "cannot fsync", tmpPath));
  int closeResult = ::close(fd);
  fd = -1;
  if (closeResult != 0)
    return fail(errnoStatus(errno, "cannot close", tmpPath));
  if (::rename(tmpPath.c_str(), path.c_str()) != 0)
    return fail(errnoStatus(errno, "cannot rename the temporary file to", path));
  // Make the rename itself durable. A failure here does not undo the write.
  int dirFd = ::open(directoryOf(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirFd >= 0) {
    ::fsync(dirFd);
    ::close(dirFd);
  }
  return Status::ok();
}

std::vector<std::string> listDirectory(const std::string &dir) {
  std::vector<std::string> names;
  DIR *d = ::opendir(dir.c_str());
  if (!d)
    return names;
  while (const dirent *e = ::readdir(d))
    if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, ".."))
      names.emplace_back(e->d_name);
  ::closedir(d);
  return names;
}

void removeFilesIf(const std::string &dir, const std::function<bool(std::string_view)> &match) {
  for (const std::string &name : listDirectory(dir))
    if (match(name))
      ::unlink((dir + "/" + name).c_str());
}

} // namespace weft::rt
