// Loading files and folders from a tree: walking, skipping, sources.
#include "manifests/load.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "tests/manifests/test_util.h"

namespace prisn::manifests {
namespace {

namespace fs = std::filesystem;
using testing::Dump;
using testing::FindError;

const std::string kJob =
    "apiVersion: prisn.io/v1\nkind: Job\nmetadata: {name: NAME}\nspec: {source: {path: SRC}}\n";

std::string JobYaml(const std::string& name, const std::string& src) {
  std::string s = kJob;
  s.replace(s.find("NAME"), 4, name);
  s.replace(s.find("SRC"), 3, src);
  return s;
}

TEST_CASE("LoadSet: folders are walked for .yaml and .yml, hidden ones skipped", "[load]") {
  MemoryTree tree({{"a.yaml", JobYaml("a", "a.py")},
                   {"a.py", "1"},
                   {"sub/b.yml", JobYaml("b", "b.sh")},
                   {"sub/b.sh", "echo"},
                   {".github/workflows/ci.yaml", "on: push\njobs: {}\n"},
                   {"sub/.hidden.yaml", "garbage: ["},
                   {"sub/config.yaml", "port: 80\nlog: debug\n"},
                   {"notes.txt", "hello"}});
  auto set = LoadSet(tree, {""});
  INFO(Dump(set));
  REQUIRE(set.ok());
  CHECK(set.files == std::vector<std::string>{"a.yaml", "sub/b.yml", "sub/config.yaml"});
  REQUIRE(set.objects.size() == 2);
  CHECK(set.objects[0].meta.name == "a");
  CHECK(set.objects[1].meta.name == "b");
  CHECK(set.objects[1].Workload()->runtime == "bash");
  CHECK(set.objects[1].Workload()->source.resolved == "sub/b.sh");
}

TEST_CASE("LoadSet: a file named explicitly must hold manifests", "[load]") {
  MemoryTree tree({{"config.yaml", "port: 80\n"}, {"empty.yaml", "# nothing\n"}});
  auto set = LoadSet(tree, {"config.yaml", "empty.yaml"});
  CHECK(FindError(set, "apiVersion", "missing field"));
  CHECK(FindError(set, "", "holds no manifests"));
}

TEST_CASE("LoadSet: missing paths and empty folders are errors", "[load]") {
  MemoryTree tree(std::map<std::string, std::string>{{"a/readme.md", "x"}});
  auto set = LoadSet(tree, {"nope.yaml", "a", "../up"});
  INFO(Dump(set));
  CHECK(FindError(set, "", "no such file or folder"));
  CHECK(FindError(set, "", "no .yaml or .yml files"));
  CHECK(FindError(set, "", "leaves the manifest root"));
}

TEST_CASE("LoadSet: source.path is relative to the manifest and may not leave the root", "[load]") {
  MemoryTree tree({{"deploy/job.yaml", JobYaml("j", "../app/main.py")},
                   {"app/main.py", "print(1)"},
                   {"deploy/bad.yaml", JobYaml("k", "../../etc/passwd")},
                   {"deploy/typo.yaml", JobYaml("t", "../app/mian.py")}});
  auto set = LoadSet(tree, {"deploy"});
  INFO(Dump(set));
  REQUIRE(set.objects.size() == 3);
  CHECK(set.objects[1].sources.at("main.py") == "print(1)");
  const Diagnostic* esc = FindError(set, "spec.source.path", "\"../../etc/passwd\" leaves the manifest root");
  REQUIRE(esc != nullptr);
  CHECK(esc->file == "deploy/bad.yaml");
  CHECK(esc->line == 4);
  CHECK(FindError(set, "spec.source.path", "did you mean \"main.py\"?"));
  CHECK(set.errors.size() == 2);
}

TEST_CASE("LoadSet: folder sources skip build output and the set's own manifests", "[load]") {
  MemoryTree tree({{"proj/prisn.yaml", JobYaml("p", ".")},
                   {"proj/main.py", "import lib"},
                   {"proj/lib/__init__.py", ""},
                   {"proj/lib/__pycache__/x.pyc", "bin"},
                   {"proj/node_modules/m/index.js", "x"},
                   {"proj/.git/HEAD", "ref"},
                   {"proj/data.yaml", "key: value\n"},
                   {"proj/requirements.txt", "requests==2.31.0\n"}});
  auto set = LoadSet(tree, {"proj"});
  INFO(Dump(set));
  REQUIRE(set.ok());
  std::vector<std::string> paths;
  for (const auto& [p, _] : set.objects[0].sources) paths.push_back(p);
  CHECK(paths == std::vector<std::string>{"data.yaml", "lib/__init__.py", "main.py", "requirements.txt"});
  CHECK(set.objects[0].Workload()->entrypoint == "main.py");
  CHECK(set.objects[0].Workload()->source.is_directory);
}

TEST_CASE("LoadSet: an empty source folder is an error", "[load]") {
  MemoryTree tree({{"j.yaml", JobYaml("j", "src")}, {"src/.keep", ""}});
  CHECK(FindError(LoadSet(tree, {""}), "spec.source.path", "holds no files"));
}

TEST_CASE("LoadSet: versions are computed for every object", "[load]") {
  MemoryTree tree({{"a.yaml", JobYaml("a", "a.py")}, {"a.py", "1"}});
  auto set = LoadSet(tree, {"a.yaml"});
  REQUIRE(set.ok());
  CHECK(set.objects[0].version.size() == 10);
  CHECK(set.objects[0].version.starts_with("v-"));
}

TEST_CASE("LoadSet on disk: a symlink out of the root is refused", "[load]") {
  std::string tmpl = (fs::temp_directory_path() / "prisn-load-XXXXXX").string();
  REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  fs::path dir = tmpl;
  std::ofstream(dir / "job.yaml") << JobYaml("j", "app");
  fs::create_directories(dir / "app");
  std::ofstream(dir / "app" / "main.py") << "print(1)";
  fs::create_symlink("/etc/hostname", dir / "app" / "stolen.txt");
  DiskTree tree(dir.string());
  auto set = LoadSet(tree, {""});
  fs::remove_all(dir);
  INFO(Dump(set));
  const Diagnostic* d = FindError(set, "spec.source.path", "outside the manifest root");
  REQUIRE(d != nullptr);
  CHECK(d->message.find("app/stolen.txt") != std::string::npos);
}

}  // namespace
}  // namespace prisn::manifests
