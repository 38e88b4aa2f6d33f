#include "manifests/git_tree.h"

#include <stdlib.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace prisn::manifests {
namespace {

namespace fs = std::filesystem;

std::string Quote(const std::string& arg) {
  std::string q = "'";
  for (char c : arg) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs a shell command in `dir`; returns its stdout, fails the test on error.
std::string Sh(const fs::path& dir, const std::string& command) {
  const std::string full = "cd " + Quote(dir.string()) + " && " + command + " 2>&1";
  FILE* pipe = ::popen(full.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  const int status = ::pclose(pipe);
  INFO(command << "\n" << out);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  return out;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

void Write(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

// A repository with two commits, made with the git command line.
//   commit 1: app.yaml (v1), scripts/run.py
//   commit 2: app.yaml (v2), scripts/run.py, scripts/lib/util.py, tagged v2
class Repo {
 public:
  Repo() {
    char tmpl[] = "/tmp/prisn-git-tree-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
    Git("init -q -b main");
    Write(dir_ / "app.yaml", "kind: Job\nversion: 1\n");
    Write(dir_ / "scripts/run.py", "print('run')\n");
    Git("add -A");
    Git("commit -q -m first");
    first_ = Trim(Git("rev-parse HEAD"));
    Write(dir_ / "app.yaml", "kind: Job\nversion: 2\n");
    Write(dir_ / "scripts/lib/util.py", "X = 1\n");
    Git("add -A");
    Git("commit -q -m second");
    Git("tag -a v2 -m 'release 2'");
    second_ = Trim(Git("rev-parse HEAD"));
  }
  ~Repo() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  Repo(const Repo&) = delete;
  Repo& operator=(const Repo&) = delete;

  std::string Git(const std::string& args) {
    return Sh(dir_,
              "git -c user.name=prisn -c user.email=prisn@example.invalid "
              "-c commit.gpgsign=false -c tag.gpgsign=false " +
                  args);
  }
  const fs::path& dir() const { return dir_; }
  const std::string& first() const { return first_; }
  const std::string& second() const { return second_; }

 private:
  fs::path dir_;
  std::string first_;
  std::string second_;
};

GitTree MustOpen(const Repo& repo, const std::string& rev) {
  auto tree = GitTree::Open(repo.dir().string(), rev);
  INFO("rev " << rev << ": " << (tree ? "" : tree.error().ToString()));
  REQUIRE(tree.has_value());
  return std::move(*tree);
}

using Paths = std::vector<std::string>;

TEST_CASE("git tree at HEAD and HEAD~1 lists and reads each commit's files") {
  Repo repo;
  GitTree head = MustOpen(repo, "HEAD");
  GitTree previous = MustOpen(repo, "HEAD~1");

  CHECK(head.CommitId() == repo.second());
  CHECK(previous.CommitId() == repo.first());
  CHECK(head.CommitId().size() == 40);

  auto head_files = head.ListFiles("");
  REQUIRE(head_files);
  CHECK(*head_files == Paths{"app.yaml", "scripts/lib/util.py", "scripts/run.py"});
  auto previous_files = previous.ListFiles(".");
  REQUIRE(previous_files);
  CHECK(*previous_files == Paths{"app.yaml", "scripts/run.py"});

  auto head_app = head.ReadFile("app.yaml");
  REQUIRE(head_app);
  CHECK(*head_app == "kind: Job\nversion: 2\n");
  auto previous_app = previous.ReadFile("./app.yaml");
  REQUIRE(previous_app);
  CHECK(*previous_app == "kind: Job\nversion: 1\n");
}

TEST_CASE("git tree resolves branches, tags and SHAs to their commit") {
  Repo repo;
  repo.Git("branch old " + repo.first());
  repo.Git("tag light " + repo.first());
  struct Case {
    std::string rev;
    std::string commit;
  };
  const std::vector<Case> cases = {
      {"main", repo.second()},
      {"old", repo.first()},
      {"refs/heads/old", repo.first()},
      {"v2", repo.second()},  // annotated tag, peeled to its commit
      {"light", repo.first()},
      {repo.first(), repo.first()},
      {repo.first().substr(0, 10), repo.first()},
      {"HEAD^", repo.first()},
      {"main~1", repo.first()},
  };
  for (const auto& c : cases) {
    INFO("rev " << c.rev);
    CHECK(MustOpen(repo, c.rev).CommitId() == c.commit);
  }
}

TEST_CASE("git tree resolves a remote-tracking branch in a clone") {
  Repo repo;
  char tmpl[] = "/tmp/prisn-git-clone-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const fs::path clone = fs::path(tmpl) / "clone";
  Sh(tmpl, "git clone -q " + Quote(repo.dir().string()) + " clone");
  auto tree = GitTree::Open(clone.string(), "origin/main");
  std::error_code ec;
  REQUIRE(tree.has_value());
  CHECK(tree->CommitId() == repo.second());
  fs::remove_all(tmpl, ec);
}

TEST_CASE("git tree with a missing revision fails with not_found naming it") {
  Repo repo;
  auto tree = GitTree::Open(repo.dir().string(), "no-such-branch");
  REQUIRE_FALSE(tree);
  CHECK(tree.error().code == ErrorCode::kNotFound);
  CHECK(tree.error().message.find("\"no-such-branch\" not found") != std::string::npos);
  CHECK(tree.error().context == repo.dir().string());

  auto beyond = GitTree::Open(repo.dir().string(), "HEAD~5");
  REQUIRE_FALSE(beyond);
  CHECK(beyond.error().code == ErrorCode::kNotFound);
}

TEST_CASE("git tree outside a repository fails with not_found") {
  char tmpl[] = "/tmp/prisn-not-git-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  auto tree = GitTree::Open(tmpl, "HEAD");
  REQUIRE_FALSE(tree);
  CHECK(tree.error().code == ErrorCode::kNotFound);
  CHECK(tree.error().message == "not a git repository");
  auto missing = GitTree::Open(std::string(tmpl) + "/nothing-here", "HEAD");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::kNotFound);
  fs::remove(tmpl);
}

TEST_CASE("git tree with a revision naming a blob fails as invalid") {
  Repo repo;
  auto tree = GitTree::Open(repo.dir().string(), "HEAD:app.yaml");
  REQUIRE_FALSE(tree);
  CHECK(tree.error().code == ErrorCode::kInvalid);
  CHECK(tree.error().message.find("not a commit") != std::string::npos);
}

TEST_CASE("git tree reads the commit, not the work tree") {
  Repo repo;
  Write(repo.dir() / "app.yaml", "edited but not committed\n");
  Write(repo.dir() / "untracked.yaml", "x\n");
  fs::remove(repo.dir() / "scripts/run.py");
  GitTree head = MustOpen(repo, "HEAD");
  CHECK(head.ReadFile("app.yaml").value_or("") == "kind: Job\nversion: 2\n");
  CHECK(head.ReadFile("scripts/run.py").value_or("") == "print('run')\n");
  CHECK_FALSE(head.Exists("untracked.yaml"));
}

TEST_CASE("git tree opens a bare repository") {
  Repo repo;
  char tmpl[] = "/tmp/prisn-git-bare-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  Sh(tmpl, "git clone -q --bare " + Quote(repo.dir().string()) + " bare.git");
  auto tree = GitTree::Open(std::string(tmpl) + "/bare.git", "v2");
  REQUIRE(tree.has_value());
  CHECK(tree->ReadFile("scripts/lib/util.py").value_or("") == "X = 1\n");
  std::error_code ec;
  fs::remove_all(tmpl, ec);
}

TEST_CASE("git tree lists a subdirectory with paths from the root") {
  Repo repo;
  GitTree head = MustOpen(repo, "HEAD");
  auto scripts = head.ListFiles("scripts/");
  REQUIRE(scripts);
  CHECK(*scripts == Paths{"scripts/lib/util.py", "scripts/run.py"});
  CHECK(head.IsDirectory("scripts"));
  CHECK(head.IsDirectory(""));
  CHECK_FALSE(head.IsDirectory("app.yaml"));
  CHECK(head.Exists("scripts/lib"));
  CHECK(head.Exists("app.yaml"));
  CHECK_FALSE(head.Exists("nope.yaml"));
}

TEST_CASE("git tree errors name the path and use the FileTree codes") {
  Repo repo;
  GitTree head = MustOpen(repo, "HEAD");
  struct Case {
    const char* what;
    Result<std::string> result;
    ErrorCode code;
  };
  auto list_error = [&](std::string_view dir) -> Result<std::string> {
    auto r = head.ListFiles(dir);
    if (!r) return std::unexpected(r.error());
    return std::string("listed");
  };
  const std::vector<Case> cases = {
      {"read missing", head.ReadFile("missing.yaml"), ErrorCode::kNotFound},
      {"read under a file", head.ReadFile("app.yaml/x"), ErrorCode::kNotFound},
      {"read a directory", head.ReadFile("scripts"), ErrorCode::kInvalid},
      {"read above the root", head.ReadFile("../etc/passwd"), ErrorCode::kPermission},
      {"read absolute", head.ReadFile("/etc/passwd"), ErrorCode::kPermission},
      {"list missing", list_error("missing"), ErrorCode::kNotFound},
      {"list a file", list_error("app.yaml"), ErrorCode::kInvalid},
      {"list above the root", list_error(".."), ErrorCode::kPermission},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    REQUIRE_FALSE(c.result.has_value());
    CHECK(c.result.error().code == c.code);
    CHECK_FALSE(c.result.error().context.empty());
  }
}

TEST_CASE("git tree follows symlinks inside the tree and refuses ones leaving it") {
  Repo repo;
  Sh(repo.dir(),
     "ln -s scripts/run.py run-link && ln -s scripts scripts-link && "
     "ln -s ../../../etc/passwd escape && ln -s /etc/passwd absolute && "
     "ln -s missing.py dangling && ln -s .. scripts/lib/up && ln -s ../run.py scripts/lib/run2");
  repo.Git("add -A");
  repo.Git("commit -q -m links");
  GitTree head = MustOpen(repo, "HEAD");

  auto files = head.ListFiles("");
  REQUIRE(files);
  // scripts/lib/up leads back into a directory being listed: not followed.
  CHECK(*files == Paths{"absolute", "app.yaml", "dangling", "escape", "run-link",
                        "scripts-link/lib/run2", "scripts-link/lib/util.py", "scripts-link/run.py",
                        "scripts/lib/run2", "scripts/lib/util.py", "scripts/run.py"});

  CHECK(head.ReadFile("run-link").value_or("") == "print('run')\n");
  CHECK(head.ReadFile("scripts-link/run.py").value_or("") == "print('run')\n");
  CHECK(head.ReadFile("scripts/lib/run2").value_or("") == "print('run')\n");
  CHECK(head.ReadFile("scripts/lib/up/run.py").value_or("") == "print('run')\n");
  CHECK(head.IsDirectory("scripts-link"));
  CHECK(head.IsDirectory("scripts/lib/up"));

  for (const char* outside : {"escape", "absolute"}) {
    INFO(outside);
    auto r = head.ReadFile(outside);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kPermission);
    CHECK(r.error().message.find("outside the tree") != std::string::npos);
    CHECK(head.Exists(outside));  // the link itself is there
    CHECK_FALSE(head.IsDirectory(outside));
  }
  auto dangling = head.ReadFile("dangling");
  REQUIRE_FALSE(dangling);
  CHECK(dangling.error().code == ErrorCode::kNotFound);
}

TEST_CASE("git tree stops at symlink loops") {
  Repo repo;
  Sh(repo.dir(), "ln -s b a && ln -s a b");
  repo.Git("add -A");
  repo.Git("commit -q -m loop");
  GitTree head = MustOpen(repo, "HEAD");
  auto r = head.ReadFile("a");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kInvalid);
  CHECK(r.error().message.find("symbolic links") != std::string::npos);
  auto files = head.ListFiles("");
  REQUIRE(files);
  CHECK(*files == Paths{"a", "app.yaml", "b", "scripts/lib/util.py", "scripts/run.py"});
}

TEST_CASE("git tree lists executable files and keeps working after a move") {
  Repo repo;
  Write(repo.dir() / "tool.sh", "#!/bin/sh\necho hi\n");
  fs::permissions(repo.dir() / "tool.sh", fs::perms::owner_exec, fs::perm_options::add);
  repo.Git("add -A");
  repo.Git("commit -q -m tool");
  std::unique_ptr<FileTree> tree = std::make_unique<GitTree>(MustOpen(repo, "main"));
  auto files = tree->ListFiles("");
  REQUIRE(files);
  CHECK(std::find(files->begin(), files->end(), "tool.sh") != files->end());
  CHECK(tree->ReadFile("tool.sh").value_or("") == "#!/bin/sh\necho hi\n");
}

}  // namespace
}  // namespace prisn::manifests
