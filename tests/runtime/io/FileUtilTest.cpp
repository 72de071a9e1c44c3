//===- FileUtilTest.cpp - the runtime's file access on special files ------===//
//
// This file implements the tests of runtime/FileUtil.h on files that are not
// regular: reading a FIFO ends in an error at once (it used to wait forever
// in open()), an atomic write into an existing FIFO writes into it instead
// of replacing it with a regular file (as `-o /dev/null` did to /dev/null),
// a symbolic link keeps pointing at the file it names, and a directory is
// refused by name.
//
//===----------------------------------------------------------------------===//

#include "tests/common/FifoWriter.h"
#include "tests/runtime/io/IOTestUtil.h"

#include "runtime/FileUtil.h"

#include <filesystem>
#include <thread>

namespace weft::rt::testing {
namespace {

namespace fs = std::filesystem;

TEST(RuntimeFiles, ReadingAFifoFailsAtOnceInsteadOfWaiting) {
  TempDir dir;
  weft::test::FifoWriter fifo(dir.file("pipe"));
  ASSERT_TRUE(fifo.made());
  std::vector<uint8_t> bytes;
  Status s = readWholeFile(fifo.path(), bytes);
  EXPECT_FALSE(fifo.releasedAWaitingReader()) << "open() waited for a writer";
  ASSERT_FALSE(s.isOk());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("a FIFO (named pipe), not a regular file"), std::string::npos)
      << s.message();
  auto mapped = MappedFile::open(fifo.path());
  EXPECT_FALSE(mapped.isOk());
}

TEST(RuntimeFiles, AtomicWriteIntoAFifoKeepsTheFifo) {
  TempDir dir;
  std::string path = dir.file("pipe"), alias = dir.file("pipe-alias");
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  // A second name for the FIFO: if the write replaced `path` (the defect),
  // the reader is still blocked on the FIFO and is released through it.
  fs::create_hard_link(path, alias);
  std::string received;
  std::thread reader([&] {
    std::ifstream in(path, std::ios::binary);
    received.assign(std::istreambuf_iterator<char>(in), {});
  });
  // Wait until the reader has the FIFO open, so the writer finds it.
  Status s;
  for (int attempt = 0; attempt < 200; ++attempt) {
    s = writeFileAtomically(path, {"hello ", "fifo"});
    if (s.isOk() || s.message().find("nothing reads from") == std::string::npos)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (int fd = ::open(alias.c_str(), O_WRONLY | O_NONBLOCK); fd >= 0)
    ::close(fd); // a reader still waiting gets end-of-file
  reader.join();
  EXPECT_TRUE(s.isOk()) << s.toString();
  EXPECT_TRUE(fs::is_fifo(path)) << "the FIFO was replaced by a regular file";
  EXPECT_EQ(received, "hello fifo");
}

TEST(RuntimeFiles, AtomicWriteToAFifoWithoutReaderFailsAtOnce) {
  TempDir dir;
  std::string path = dir.file("pipe");
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  Status s = writeFileAtomically(path, {"x"});
  ASSERT_FALSE(s.isOk());
  EXPECT_NE(s.message().find("nothing reads from"), std::string::npos) << s.message();
  EXPECT_TRUE(fs::is_fifo(path));
}

TEST(RuntimeFiles, AtomicWriteThroughASymlinkReplacesTheTarget) {
  TempDir dir;
  std::string target = dir.file("real.bin"), link = dir.file("link.bin");
  writeBytes(target, "old");
  fs::create_symlink(target, link);
  ASSERT_TRUE(writeFileAtomically(link, {"new"}).isOk());
  EXPECT_TRUE(fs::is_symlink(link)) << "the link was replaced by a regular file";
  EXPECT_EQ(readBytes(target), "new");
}

TEST(RuntimeFiles, AtomicWriteRefusesADirectory) {
  TempDir dir;
  fs::create_directory(dir.file("sub"));
  Status s = writeFileAtomically(dir.file("sub"), {"x"});
  ASSERT_FALSE(s.isOk());
  EXPECT_NE(s.message().find("it is a directory"), std::string::npos) << s.message();
  EXPECT_TRUE(fs::is_directory(dir.file("sub")));
}

} // namespace
} // namespace weft::rt::testing
