// `prisn deploy`: prisn.toml, entrypoint choice, and the manifest and tree it
// sends, which must load like any manifest.
#include "cli/deploy_plan.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "manifests/file_tree.h"
#include "manifests/load.h"
#include "manifests/types.h"
#include "util/files.h"

namespace prisn::cli {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("prisn-deploy-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string Write(const std::string& rel, const std::string& content) const {
    fs::create_directories((path / rel).parent_path());
    REQUIRE(WriteFileAtomic((path / rel).string(), content));
    return (path / rel).string();
  }
};

const manifests::DeploymentSpec& Loaded(const DeployPlan& plan, manifests::LoadedSet& set) {
  manifests::MemoryTree tree(plan.files);
  set = manifests::LoadSet(tree, {plan.manifest_path});
  std::string errors;
  for (const auto& e : set.errors) errors += manifests::FormatText(e) + "\n";
  INFO(plan.files.at(plan.manifest_path) << errors);
  REQUIRE(set.ok());
  REQUIRE(set.objects.size() == 1);
  return std::get<manifests::DeploymentSpec>(set.objects[0].spec);
}

}  // namespace

TEST_CASE("a folder with prisn.toml deploys with its settings, flags winning") {
  TempDir dir;
  dir.Write("My Project/server.py", "print('up')\n");
  dir.Write("My Project/lib/util.py", "X = 1\n");
  dir.Write("My Project/requirements.txt", "\n");
  dir.Write("My Project/.git/HEAD", "ref: x\n");
  dir.Write("My Project/__pycache__/a.pyc", "x");
  dir.Write("My Project/prisn.toml", R"(
name = "web"
entrypoint = "server.py"
port = 8080
replicas = 2
args = ["--fast"]
[env]
MODE = "prod"
KEEP = "yes"
[healthCheck]
tcp = {}
period = "1s"
)");
  auto sources = ReadDeploySources((dir.path / "My Project").string() + "/");
  REQUIRE(sources);
  CHECK(sources->folder == "My Project");
  CHECK(sources->toml.has_value());
  CHECK(sources->files.size() == 3);  // no .git, no __pycache__, no prisn.toml
  DeployFlags flags;
  flags.path = "ignored";
  flags.replicas = 3;
  flags.env = {"MODE=staging"};
  auto plan = PlanDeploy(flags, *sources);
  REQUIRE(plan);
  CHECK(plan->name == "web");
  CHECK(plan->files.contains("my-project/lib/util.py"));
  manifests::LoadedSet set;
  const auto& spec = Loaded(*plan, set);
  CHECK(spec.replicas == 3);
  CHECK(spec.port.number == 8080);
  CHECK(spec.entrypoint == "server.py");
  CHECK(spec.runtime == "python3");
  CHECK(spec.args == std::vector<std::string>{"--fast"});
  CHECK(spec.env.at("MODE") == "staging");
  CHECK(spec.env.at("KEEP") == "yes");
  REQUIRE(spec.health_check.has_value());
  CHECK(spec.health_check->period == manifests::Duration(1000));
  CHECK(set.objects[0].sources.size() == 3);
  CHECK(DeploySetName("default", "web") == "deploy/default/web");
}

TEST_CASE("a single script deploys with the dependency files beside it") {
  TempDir dir;
  std::string script = dir.Write("svc/worker.sh", "while true; do sleep 1; done\n");
  dir.Write("svc/package.json", "{}");
  dir.Write("svc/other.sh", "echo no\n");
  auto sources = ReadDeploySources(script);
  REQUIRE(sources);
  CHECK(sources->file == "worker.sh");
  CHECK(sources->files.size() == 2);
  DeployFlags flags;
  flags.port = "auto";
  flags.ns = "team-a";
  auto plan = PlanDeploy(flags, *sources);
  REQUIRE(plan);
  CHECK(plan->name == "worker");
  CHECK(plan->ns == "team-a");
  manifests::LoadedSet set;
  const auto& spec = Loaded(*plan, set);
  CHECK(spec.entrypoint == "worker.sh");
  CHECK(spec.runtime == "bash");
  CHECK(spec.port.mode == manifests::Port::Mode::kAuto);
  CHECK(spec.replicas == 1);
  CHECK(set.objects[0].meta.namespace_ == "team-a");
}

TEST_CASE("the entrypoint of a folder is a conventional name or its only script") {
  using Files = std::map<std::string, std::string>;
  CHECK(*ChooseEntrypoint(Files{{"app.py", ""}, {"main.py", ""}}) == "main.py");
  CHECK(*ChooseEntrypoint(Files{{"index.js", ""}, {"lib/x.js", ""}}) == "index.js");
  CHECK(*ChooseEntrypoint(Files{{"serve.sh", ""}, {"README.md", ""}}) == "serve.sh");
  auto many = ChooseEntrypoint(Files{{"a.py", ""}, {"b.py", ""}});
  REQUIRE_FALSE(many);
  CHECK(many.error().message.find("a.py, b.py") != std::string::npos);
  CHECK_FALSE(ChooseEntrypoint(Files{{"README.md", ""}}));
}

TEST_CASE("prisn.toml errors name the file, line and column, or the key") {
  auto broken = ParseProjectToml("name = \n");
  REQUIRE_FALSE(broken);
  CHECK(broken.error().context.rfind("prisn.toml:1:", 0) == 0);
  auto unknown = ParseProjectToml("replica = 3\n");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().message.find("unknown key \"replica\"") != std::string::npos);
  auto ok = ParseProjectToml("port = \"auto\"\n[resources]\nmemory = \"128Mi\"\n");
  REQUIRE(ok);
  CHECK((*ok)["resources"]["memory"] == "128Mi");
}

TEST_CASE("deploy flags are checked") {
  DeploySources sources;
  sources.folder = "x";
  sources.file = "x.py";
  sources.files = {{"x.py", "pass\n"}};
  DeployFlags flags;
  flags.port = "http";
  CHECK_FALSE(PlanDeploy(flags, sources));
  flags.port = "70000";
  CHECK_FALSE(PlanDeploy(flags, sources));
  flags.port = "";
  flags.env = {"NOEQUALS"};
  CHECK_FALSE(PlanDeploy(flags, sources));
  CHECK_FALSE(ReadDeploySources("/nonexistent/prisn/app"));
}

}  // namespace prisn::cli
