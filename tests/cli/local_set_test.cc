#include "cli/local_set.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <regex>

#include "util/files.h"

namespace prisn::cli {
namespace {

namespace fs = std::filesystem;

struct LocalSetTempDir {
  fs::path path;
  LocalSetTempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("prisn-localset-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(path);
  }
  ~LocalSetTempDir() { fs::remove_all(path); }
  void Write(const std::string& rel, const std::string& content) const {
    fs::create_directories((path / rel).parent_path());
    REQUIRE(WriteFileAtomic((path / rel).string(), content));
  }
};

constexpr const char* kDeployment = R"(apiVersion: prisn.io/v1
kind: Deployment
metadata:
  name: api
spec:
  source:
    path: src
  entrypoint: main.py
  envFrom:
    - secretRef:
        name: db
)";

constexpr const char* kJob = R"(apiVersion: prisn.io/v1
kind: Job
metadata:
  name: hello
spec:
  source:
    path: hello.sh
)";

}  // namespace

TEST_CASE("ResolveInputs roots a single folder at itself") {
  LocalSetTempDir tmp;
  tmp.Write("app/a.yaml", kJob);
  auto in = ResolveInputs({"app/"}, tmp.path.string());
  REQUIRE(in);
  CHECK(in->root == (tmp.path / "app").string());
  CHECK(in->paths == std::vector<std::string>{"."});
  CHECK(in->display_prefix == "app/");
}

TEST_CASE("ResolveInputs roots several paths at their deepest common folder") {
  LocalSetTempDir tmp;
  tmp.Write("app/web/a.yaml", kJob);
  tmp.Write("app/jobs/b.yaml", kJob);
  auto in = ResolveInputs({"app/web/a.yaml", "app/jobs"}, tmp.path.string());
  REQUIRE(in);
  CHECK(in->root == (tmp.path / "app").string());
  CHECK(in->paths == std::vector<std::string>{"web/a.yaml", "jobs"});
  CHECK(in->display_prefix == "app/");
}

TEST_CASE("ResolveInputs of the working directory has no display prefix") {
  LocalSetTempDir tmp;
  tmp.Write("a.yaml", kJob);
  auto in = ResolveInputs({"."}, tmp.path.string());
  REQUIRE(in);
  CHECK(in->root == tmp.path.string());
  CHECK(in->display_prefix.empty());
  auto file = ResolveInputs({"a.yaml"}, tmp.path.string());
  REQUIRE(file);
  CHECK(file->paths == std::vector<std::string>{"a.yaml"});
}

TEST_CASE("ResolveInputs of a missing path is not_found naming the path") {
  LocalSetTempDir tmp;
  auto in = ResolveInputs({"nope/"}, tmp.path.string());
  REQUIRE_FALSE(in);
  CHECK(in.error().code == ErrorCode::kNotFound);
  CHECK(in.error().context == "nope/");
}

TEST_CASE("DefaultSetName is the base name and a hash of the absolute path") {
  std::string a = DefaultSetName("app/", "/srv/repo");
  CHECK(std::regex_match(a, std::regex("app-[0-9a-f]{8}")));
  CHECK(DefaultSetName("./app", "/srv/repo") == a);
  CHECK(DefaultSetName("/srv/repo/app", "/") == a);
  CHECK(DefaultSetName("app/", "/srv/other") != a);
  CHECK(std::regex_match(DefaultSetName("My_Deploy.YAML", "/x"),
                         std::regex("my-deploy-yaml-[0-9a-f]{8}")));
  CHECK(std::regex_match(DefaultSetName("deploy.yaml", "/x"), std::regex("deploy-[0-9a-f]{8}")));
  CHECK(std::regex_match(DefaultSetName("/", "/"), std::regex("set-[0-9a-f]{8}")));
}

TEST_CASE("CollectFiles carries the manifests and every source file, nothing else") {
  LocalSetTempDir tmp;
  tmp.Write("app/deploy.yaml", kDeployment);
  tmp.Write("app/src/main.py", "print('hi')\n");
  tmp.Write("app/src/lib/util.py", "X = 1\n");
  tmp.Write("app/jobs.yaml", kJob);
  tmp.Write("app/hello.sh", "echo hi\n");
  tmp.Write("app/notes.txt", "not part of anything\n");
  tmp.Write("app/secret.yaml",
            "apiVersion: prisn.io/v1\nkind: Secret\nmetadata:\n  name: db\nspec:\n  stringData:\n  "
            "  P: x\n");
  auto in = ResolveInputs({"app"}, tmp.path.string());
  REQUIRE(in);
  manifests::DiskTree tree(in->root);
  auto set = manifests::LoadSet(tree, in->paths);
  INFO(FormatErrors(set, in->display_prefix));
  REQUIRE(set.ok());
  auto files = CollectFiles(tree, set);
  REQUIRE(files);
  std::vector<std::string> names;
  for (const auto& [path, bytes] : *files) names.push_back(path);
  CHECK(names == std::vector<std::string>{"deploy.yaml", "hello.sh", "jobs.yaml", "secret.yaml",
                                          "src/lib/util.py", "src/main.py"});
  CHECK(files->at("src/main.py") == "print('hi')\n");

  auto body = RequestBody("app-1", *in, *files);
  CHECK(body["set"] == "app-1");
  CHECK(body["paths"] == nlohmann::ordered_json::array({"."}));
  CHECK(body["files"]["hello.sh"] == "ZWNobyBoaQo=");  // base64("echo hi\n")
}

TEST_CASE("AssumedSecrets names the Secrets a set uses but does not define") {
  LocalSetTempDir tmp;
  tmp.Write("app/deploy.yaml", kDeployment);
  tmp.Write("app/src/main.py", "print('hi')\n");
  manifests::DiskTree tree((tmp.path / "app").string());
  auto first = manifests::LoadSet(tree, {"."});
  REQUIRE_FALSE(first.ok());  // db is not in the set
  auto known = AssumedSecrets(first);
  CHECK(known.keys == std::set<std::string>{"Secret/default/db"});
  CHECK(manifests::LoadSet(tree, {"."}, known).ok());
  CHECK_FALSE(FormatErrors(first, "app/").empty());
  CHECK(FormatErrors(first, "app/").rfind("app/deploy.yaml:", 0) == 0);
}

}  // namespace prisn::cli
