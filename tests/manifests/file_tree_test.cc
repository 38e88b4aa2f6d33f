#include "manifests/file_tree.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

namespace prisn::manifests {
namespace {

namespace fs = std::filesystem;

// A fresh directory under the system temp dir, removed at the end.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "prisn-tree-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  void Write(const std::string& rel, const std::string& data) const {
    fs::create_directories((path / rel).parent_path());
    std::ofstream(path / rel) << data;
  }
};

TEST_CASE("NormalizeTreePath: dots collapse, escapes and absolute paths fail", "[file_tree]") {
  CHECK(*NormalizeTreePath("a/./b/../c/") == "a/c");
  CHECK(*NormalizeTreePath(".") == "");
  CHECK(*NormalizeTreePath("") == "");
  CHECK(*NormalizeTreePath("a//b") == "a/b");
  CHECK_FALSE(NormalizeTreePath("..").has_value());
  CHECK_FALSE(NormalizeTreePath("a/../../b").has_value());
  CHECK_FALSE(NormalizeTreePath("/etc/passwd").has_value());
  CHECK(*JoinTreePath("deploy", "../app/main.py") == "app/main.py");
  CHECK_FALSE(JoinTreePath("deploy", "../../etc").has_value());
  CHECK(ParentDir("a/b/c.yaml") == "a/b");
  CHECK(ParentDir("c.yaml") == "");
}

TEST_CASE("MemoryTree: lists recursively and sorted, implies directories", "[file_tree]") {
  MemoryTree t({{"b.yaml", "b"}, {"dir/x.py", "x"}, {"dir/sub/y.py", "y"}, {"a.yaml", "a"}});
  CHECK(*t.ListFiles("") == std::vector<std::string>{"a.yaml", "b.yaml", "dir/sub/y.py", "dir/x.py"});
  CHECK(*t.ListFiles("dir") == std::vector<std::string>{"dir/sub/y.py", "dir/x.py"});
  CHECK(t.IsDirectory("dir/sub"));
  CHECK_FALSE(t.IsDirectory("dir/x.py"));
  CHECK(t.Exists("dir"));
  CHECK(*t.ReadFile("./dir/x.py") == "x");
  CHECK(t.ReadFile("nope").error().code == ErrorCode::kNotFound);
  CHECK(t.ReadFile("dir").error().code == ErrorCode::kInvalid);
  CHECK(t.ReadFile("../x").error().code == ErrorCode::kPermission);
  CHECK(t.ListFiles("missing").error().code == ErrorCode::kNotFound);
}

TEST_CASE("DiskTree: reads and lists files under the root", "[file_tree]") {
  TempDir d;
  d.Write("m.yaml", "hello");
  d.Write("src/main.py", "print(1)");
  d.Write("src/lib/util.py", "x = 1");
  DiskTree t(d.path.string());
  CHECK(*t.ListFiles("") == std::vector<std::string>{"m.yaml", "src/lib/util.py", "src/main.py"});
  CHECK(*t.ListFiles("src") == std::vector<std::string>{"src/lib/util.py", "src/main.py"});
  CHECK(*t.ReadFile("src/main.py") == "print(1)");
  CHECK(t.IsDirectory("src"));
  CHECK(t.Exists("m.yaml"));
  CHECK_FALSE(t.Exists("nope"));
  CHECK(t.ReadFile("nope").error().code == ErrorCode::kNotFound);
  CHECK(t.ListFiles("m.yaml").error().code == ErrorCode::kInvalid);
}

TEST_CASE("DiskTree: symlinks that leave the root are refused, inside ones followed", "[file_tree]") {
  TempDir outside;
  outside.Write("secret.txt", "top secret");
  TempDir d;
  d.Write("app/main.py", "print(1)");
  fs::create_symlink(outside.path / "secret.txt", d.path / "app" / "leak.txt");
  fs::create_directory_symlink(outside.path, d.path / "app" / "leakdir");
  fs::create_symlink(d.path / "app" / "main.py", d.path / "app" / "alias.py");
  DiskTree t(d.path.string());

  auto leak = t.ReadFile("app/leak.txt");
  REQUIRE_FALSE(leak.has_value());
  CHECK(leak.error().code == ErrorCode::kPermission);
  CHECK(leak.error().message.find("outside the manifest root") != std::string::npos);
  CHECK(t.ListFiles("app/leakdir").error().code == ErrorCode::kPermission);
  CHECK(*t.ReadFile("app/alias.py") == "print(1)");
  // Escaping entries are listed so that a reader can explain them.
  auto files = *t.ListFiles("app");
  CHECK(std::find(files.begin(), files.end(), "app/leak.txt") != files.end());
  CHECK(std::find(files.begin(), files.end(), "app/leakdir") != files.end());
  CHECK(t.ReadFile("../etc/passwd").error().code == ErrorCode::kPermission);
}

TEST_CASE("DiskTree: a symlink loop does not hang the listing", "[file_tree]") {
  TempDir d;
  d.Write("a/x.py", "x");
  fs::create_directory_symlink(d.path / "a", d.path / "a" / "loop");
  DiskTree t(d.path.string());
  auto files = t.ListFiles("");
  REQUIRE(files.has_value());
  CHECK(std::count(files->begin(), files->end(), "a/x.py") == 1);
}

}  // namespace
}  // namespace prisn::manifests
