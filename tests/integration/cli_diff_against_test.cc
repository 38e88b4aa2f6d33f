// prisn diff --against REV: no server, a real git repository made with git.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/integration/daemon.h"

namespace prisn::testing {
namespace {

using nlohmann::json;

std::string DeploymentYaml(const std::string& mode, const std::string& password) {
  return "apiVersion: prisn.io/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n"
         "  source:\n    path: main.py\n  port: 8080\n  env:\n    MODE: " +
         mode +
         "\n  envFrom:\n    - secretRef:\n        name: db\n---\n"
         "apiVersion: prisn.io/v1\nkind: Secret\nmetadata:\n  name: db\nspec:\n  stringData:\n"
         "    PASSWORD: " +
         password + "\n";
}

struct Repo {
  TempDir dir;
  std::map<std::string, std::string> env = IsolatedEnv(dir.path() / "home");
  std::string root = dir / "repo";
  Repo() {
    // A server that is not there: --against must not need one.
    env["PRISN_SERVER"] = "http://127.0.0.1:1";
    std::filesystem::create_directories(root);
    Git({"init", "-q", "-b", "main"});
  }
  void Git(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{"git"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = Run(argv, env, root);
    INFO(r.all());
    REQUIRE(r.exit_code == 0);
  }
  void Commit(const std::string& message) const {
    Git({"add", "-A"});
    Git({"commit", "-q", "-m", message});
  }
  void Write(const std::string& rel, const std::string& content) const {
    dir.Write("repo/" + rel, content);
  }
  RunResult operator()(const std::vector<std::string>& args, const std::string& cwd = {}) const {
    return Prisn(args, env, cwd.empty() ? root : cwd);
  }
};

}  // namespace

TEST_CASE("diff --against HEAD~1 compares with the previous commit without a server") {
  Repo repo;
  repo.Write("deploy/main.py", "print(1)\n");
  repo.Write("deploy/app.yaml", DeploymentYaml("prod", "first-password"));
  repo.Commit("one");
  repo.Write("deploy/app.yaml", DeploymentYaml("staging", "second-password"));
  repo.Write("deploy/main.py", "print(2)\n");
  repo.Commit("two");

  auto diff = repo({"diff", "-f", "deploy/", "--against", "HEAD~1"});
  INFO(diff.all());
  REQUIRE(diff.exit_code == 1);
  CHECK(diff.out.find("# deployment/api: rolling restart (v-") != std::string::npos);
  CHECK(diff.out.find("-    MODE: prod\n+    MODE: staging\n") != std::string::npos);
  CHECK(diff.out.find("# secret/db: in place") != std::string::npos);
  CHECK(diff.out.find("; compared with HEAD~1 (") != std::string::npos);
  CHECK(diff.all().find("first-password") == std::string::npos);
  CHECK(diff.all().find("second-password") == std::string::npos);

  auto from_inside =
      repo({"diff", "-f", ".", "--against", "HEAD~1", "-o", "json"}, repo.root + "/deploy");
  INFO(from_inside.all());
  REQUIRE(from_inside.exit_code == 1);
  json j = json::parse(from_inside.out);
  CHECK(j["changed"] == true);
  CHECK(j["index"].is_null());
  CHECK(j["against"]["rev"] == "HEAD~1");
  CHECK(j["against"]["commit"].get<std::string>().size() == 40);

  auto same = repo({"diff", "-f", "deploy/", "--against", "HEAD"});
  INFO(same.all());
  CHECK(same.exit_code == 0);
  CHECK(same.out.find("No changes: 2 objects up to date; compared with HEAD") == 0);

  // Uncommitted work counts: the working files are compared.
  repo.Write("deploy/main.py", "print(3)\n");
  auto dirty = repo({"diff", "-f", "deploy/", "--against", "HEAD"});
  CHECK(dirty.exit_code == 1);
  CHECK(dirty.out.find("sha256") != std::string::npos);
}

TEST_CASE("diff --against shows new folders as created and removed files only with --prune") {
  Repo repo;
  repo.Write("README", "x\n");
  repo.Commit("empty");
  repo.Write("jobs/a.yaml",
             "apiVersion: prisn.io/v1\nkind: Job\nmetadata:\n  name: a\nspec:\n  runtime: bash\n"
             "  source:\n    inline: echo a\n");
  repo.Write("jobs/b.yaml",
             "apiVersion: prisn.io/v1\nkind: Job\nmetadata:\n  name: b\nspec:\n  runtime: bash\n"
             "  source:\n    inline: echo b\n");
  auto created = repo({"diff", "-f", "jobs/", "--against", "HEAD"});
  INFO(created.all());
  CHECK(created.exit_code == 1);
  CHECK(created.out.find("Summary: 2 to create, 0 to change, 0 to delete") != std::string::npos);

  repo.Commit("jobs");
  std::filesystem::remove(repo.dir.path() / "repo/jobs/b.yaml");
  auto kept = repo({"diff", "-f", "jobs/", "--against", "HEAD"});
  INFO(kept.all());
  CHECK(kept.exit_code == 0);
  CHECK(kept.out.find("1 object no longer in the files is kept") != std::string::npos);
  auto pruned = repo({"diff", "-f", "jobs/", "--against", "HEAD", "--prune"});
  INFO(pruned.all());
  CHECK(pruned.exit_code == 1);
  CHECK(pruned.out.find("# job/b: delete, pruned") != std::string::npos);
}

TEST_CASE("diff --against fails with exit 2 on a bad revision, outside a repo, or bad files") {
  Repo repo;
  repo.Write("jobs/a.yaml",
             "apiVersion: prisn.io/v1\nkind: Job\nmetadata:\n  name: a\nspec:\n  runtime: bash\n"
             "  source:\n    inline: echo a\n");
  repo.Commit("one");
  auto bad_rev = repo({"diff", "-f", "jobs/", "--against", "no-such-branch"});
  INFO(bad_rev.all());
  CHECK(bad_rev.exit_code == 2);
  CHECK(bad_rev.err.find("no-such-branch") != std::string::npos);

  repo.dir.Write("loose/a.yaml",
                 "apiVersion: prisn.io/v1\nkind: Job\nmetadata:\n  name: a\n"
                 "spec:\n  runtime: bash\n  source:\n    inline: echo a\n");
  auto outside = repo({"diff", "-f", "loose/", "--against", "HEAD"}, repo.dir.path().string());
  INFO(outside.all());
  CHECK(outside.exit_code == 2);
  CHECK(outside.err.find("not inside a git repository") != std::string::npos);

  repo.Write("jobs/a.yaml", "apiVersion: prisn.io/v1\nkind: Jobb\nmetadata:\n  name: a\n");
  auto invalid = repo({"diff", "-f", "jobs/", "--against", "HEAD"});
  INFO(invalid.all());
  CHECK(invalid.exit_code == 2);
  CHECK(invalid.err.find("jobs/a.yaml:2:") != std::string::npos);
}

}  // namespace prisn::testing
