// Private files: written 0600, read back, and refused when others may read
// them; a token file's token is its first word.
#include "base/private_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

namespace tender {
namespace {

class PrivateFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("tender-private-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string file(const std::string& name) const { return (dir_ / name).string(); }
  static mode_t modeOf(const std::string& path) {
    struct stat st {};
    ::stat(path.c_str(), &st);
    return st.st_mode & 07777;
  }
  std::filesystem::path dir_;
};

TEST_F(PrivateFileTest, AWrittenFileIsTheOwnersOnlyAndReadsBack) {
  const mode_t old = ::umask(0);  // even with a umask that would let everyone read
  Status s = writePrivateFile(file("t"), "secret\n");
  ::umask(old);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(0600u, modeOf(file("t")));
  EXPECT_EQ("secret\n", *readPrivateFile(file("t"), "token file"));
  ASSERT_TRUE(writePrivateFile(file("t"), "other\n").ok()) << "replaced in one rename";
  EXPECT_EQ("other\n", *readPrivateFile(file("t"), "token file"));
  EXPECT_EQ(1, std::distance(std::filesystem::directory_iterator(dir_), {})) << "no temporary file left";
}

TEST_F(PrivateFileTest, AFileOthersMayReadOrChangeIsRefusedNamingItsModeAndTheFix) {
  for (mode_t mode : {0644u, 0640u, 0604u, 0620u, 0602u}) {
    std::ofstream(file("t")) << "x";
    ::chmod(file("t").c_str(), mode);
    auto r = readPrivateFile(file("t"), "token file");
    ASSERT_FALSE(r.ok()) << std::oct << mode;
    EXPECT_TRUE(r.status().IsInvalid());
    char octal[8];
    std::snprintf(octal, sizeof octal, "%04o", mode);
    EXPECT_NE(std::string::npos, r.status().message().find(std::string("mode ") + octal)) << r.status().message();
    EXPECT_NE(std::string::npos, r.status().message().find("chmod 600 " + file("t"))) << r.status().message();
  }
  ::chmod(file("t").c_str(), 0400);
  EXPECT_TRUE(readPrivateFile(file("t"), "token file").ok()) << "read-only for its owner is fine";
}

TEST_F(PrivateFileTest, AMissingFileIsNotFoundAndADirectoryIsRefused) {
  EXPECT_TRUE(readPrivateFile(file("none"), "token file").status().IsNotFound());
  std::filesystem::create_directories(file("d"));
  ::chmod(file("d").c_str(), 0700);
  EXPECT_TRUE(readPrivateFile(file("d"), "token file").status().IsInvalid());
}

TEST_F(PrivateFileTest, ATokenFilesTokenIsTheFirstWordOfItsFirstLine) {
  struct Row {
    const char* text;
    const char* token;  // "" : none
  } rows[] = {
      {"abc\n", "abc"},
      {"  abc  \n", "abc"},
      {"# comment\n\nabc alice *\n", "abc"},
      {"abc", "abc"},
      {"# only a comment\n", ""},
      {"", ""},
  };
  for (const Row& r : rows) {
    ASSERT_TRUE(writePrivateFile(file("t"), r.text).ok());
    auto t = readTokenFile(file("t"));
    if (*r.token) {
      ASSERT_TRUE(t.ok()) << r.text << ": " << t.status().ToString();
      EXPECT_EQ(r.token, *t);
    } else {
      EXPECT_TRUE(t.status().IsInvalid()) << r.text;
      EXPECT_NE(std::string::npos, t.status().message().find("holds no token"));
    }
  }
}

TEST(RandomHex, GivesTwoDigitsPerByteAndDoesNotRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string h = randomHex(24);
    EXPECT_EQ(48u, h.size());
    EXPECT_EQ(std::string::npos, h.find_first_not_of("0123456789abcdef"));
    seen.insert(h);
  }
  EXPECT_EQ(100u, seen.size());
}

}  // namespace
}  // namespace tender
