#include "util/files.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>

namespace prisn {

TEST_CASE("WriteFileAtomic replaces content and sets the mode, ReadFile reads it back") {
  auto dir = std::filesystem::temp_directory_path() / ("prisn-files-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "f").string();
  REQUIRE(WriteFileAtomic(path, "one", 0600));
  REQUIRE(WriteFileAtomic(path, "two", 0600));
  auto got = ReadFile(path);
  REQUIRE(got);
  CHECK(*got == "two");
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(std::distance(std::filesystem::directory_iterator(dir), {}) == 1);  // no temp left
  std::filesystem::remove_all(dir);
}

TEST_CASE("ReadFile of a missing file is not_found") {
  auto got = ReadFile("/nonexistent/prisn/file");
  REQUIRE_FALSE(got);
  CHECK(got.error().code == ErrorCode::kNotFound);
}

}  // namespace prisn
