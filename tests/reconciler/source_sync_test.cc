// Syncing one source against a real store, from real git repositories made
// by the test with the git CLI and served over file://.
#include "reconciler/source_sync.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "reconciler/apply.h"
#include "store_fixture.h"

namespace prisn::reconciler {
namespace {

namespace fs = std::filesystem;
using store::testing::StoreFixture;

std::string Deployment(const std::string& name, const std::string& script) {
  return "apiVersion: prisn.io/v1\nkind: Deployment\nmetadata:\n  name: " + name +
         "\nspec:\n  source:\n    path: " + script + "\n  replicas: 1\n";
}

class Repo {
 public:
  explicit Repo(fs::path dir) : dir_(std::move(dir)) {
    fs::create_directories(dir_);
    Git("init -q -b main");
  }
  void Write(const std::string& rel, const std::string& content) const {
    fs::create_directories((dir_ / rel).parent_path());
    std::ofstream(dir_ / rel) << content;
  }
  void Remove(const std::string& rel) const { fs::remove(dir_ / rel); }
  std::string Commit(const std::string& message) const {
    Git("add -A");
    Git("commit -q --allow-empty -m '" + message + "'");
    return Head();
  }
  std::string Head() const {
    std::string out = (dir_.parent_path() / "head.txt").string();
    Git("rev-parse HEAD > " + out);
    std::ifstream in(out);
    std::string sha;
    in >> sha;
    return sha;
  }
  std::string Url() const { return "file://" + dir_.string(); }
  void Git(const std::string& args) const {
    std::string cmd = "cd '" + dir_.string() +
                      "' && git -c user.name=t -c user.email=t@t -c commit.gpgsign=false " + args;
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("git failed: " + args);
  }

 private:
  fs::path dir_;
};

struct Fixture : StoreFixture {
  Synchronized<store::Store> sync{Open()};
  StoreSourceTarget target{sync};
  Repo repo{fs::path(dir.path()) / "repo"};
  SourceSpec spec;
  std::optional<std::string> last;

  Fixture() {
    spec.name = "web";
    spec.type = "git";
    spec.url = repo.Url();
    spec.branch = "main";
    sync.With([&](store::Store& s) {
      store::SourceRecord r;
      r.name = "web";
      r.type = "git";
      r.spec_json = "{}";
      REQUIRE(s.PutSource(r, false, "tester"));
    });
  }
  SyncReport Sync() {
    SyncOptions options;
    options.state_dir = dir.path();
    options.last_applied = last;
    SyncReport r = SyncSource(spec, target, options);
    sync.With([&](store::Store& s) { REQUIRE(RecordSync(s, spec.name, r)); });
    if (r.applied) last = r.revision;
    return r;
  }
  std::optional<store::StoredObject> Get(const std::string& name) {
    auto got = sync.With([&](store::Store& s) { return s.Get({"Deployment", "default", name}); });
    REQUIRE(got);
    return *got;
  }
  store::SourceRecord Record() {
    auto r = sync.With([&](store::Store& s) { return s.GetSource("web"); });
    REQUIRE(r);
    REQUIRE(*r);
    return **r;
  }
};

TEST_CASE("source sync: a new commit is applied as the source's set, with the commit as actor") {
  Fixture f;
  f.repo.Write("a.yaml", Deployment("a", "a.py"));
  f.repo.Write("a.py", "print(1)\n");
  std::string c1 = f.repo.Commit("one");
  SyncReport r = f.Sync();
  INFO(r.ErrorJson());
  REQUIRE(!r.error);
  CHECK(r.revision == c1);
  CHECK(r.Outcome() == "applied");
  auto a = f.Get("a");
  REQUIRE(a);
  CHECK(a->apply_set == "source:web");
  CHECK(a->applied_by == "source:web@" + c1.substr(0, 12));
  auto rec = f.Record();
  CHECK(rec.last_applied_commit == c1);
  CHECK(rec.last_fetched_commit == c1);
  CHECK(!rec.last_error);

  SECTION("the same commit again is skipped") {
    SyncReport again = f.Sync();
    CHECK(again.skipped);
    CHECK(!again.applied);
    CHECK(again.Outcome() == "unchanged");
  }
}

TEST_CASE("source sync: a broken commit keeps the last good state and records the error") {
  Fixture f;
  f.repo.Write("a.yaml", Deployment("a", "a.py"));
  f.repo.Write("a.py", "print(1)\n");
  std::string good = f.repo.Commit("good");
  REQUIRE(f.Sync().applied);
  std::string version = f.Get("a")->version;
  f.repo.Write("a.py", "print(2)\n");
  f.repo.Write("a.yaml", Deployment("a", "a.py") + "  replicaz: 3\n");
  std::string bad = f.repo.Commit("bad");
  SyncReport r = f.Sync();
  REQUIRE(r.error);
  CHECK(r.stage == "load");
  CHECK(!r.applied);
  CHECK(f.Get("a")->version == version);
  auto rec = f.Record();
  CHECK(rec.last_applied_commit == good);
  CHECK(rec.last_fetched_commit == bad);
  REQUIRE(rec.last_error);
  auto err = nlohmann::json::parse(*rec.last_error);
  CHECK(err["stage"] == "load");
  CHECK(err["revision"] == bad);
  CHECK(err["message"].get<std::string>().find("replicaz") != std::string::npos);

  SECTION("the same failure on the next poll adds no second event") {
    REQUIRE(f.Sync().error);
    auto events = f.sync.With([](store::Store& s) { return s.Events({}); });
    REQUIRE(events);
    int failed = 0;
    for (const auto& e : *events) failed += e.type == "source-failed" ? 1 : 0;
    CHECK(failed == 1);
  }

  SECTION("a fixed commit applies and clears the error") {
    f.repo.Write("a.yaml", Deployment("a", "a.py"));
    f.repo.Commit("fixed");
    REQUIRE(f.Sync().applied);
    CHECK(!f.Record().last_error);
    CHECK(f.Get("a")->version != version);
  }
}

TEST_CASE("source sync: a removed file prunes its object and only changed objects change") {
  Fixture f;
  f.repo.Write("a.yaml", Deployment("a", "a.py"));
  f.repo.Write("b.yaml", Deployment("b", "b.py"));
  f.repo.Write("c.yaml", Deployment("c", "c.py"));
  for (const char* s : {"a.py", "b.py", "c.py"}) f.repo.Write(s, "print(0)\n");
  f.repo.Commit("three");
  REQUIRE(f.Sync().applied);
  std::string a_version = f.Get("a")->version;
  std::string b_version = f.Get("b")->version;
  int64_t a_generation = f.Get("a")->generation;

  // A script change alone changes the version of the Deployment using it.
  f.repo.Write("b.py", "print(1)\n");
  f.repo.Remove("c.yaml");
  f.repo.Commit("change b, drop c");
  SyncReport r = f.Sync();
  INFO(r.ErrorJson());
  REQUIRE(r.applied);
  std::map<std::string, store::Action> actions;
  for (const auto& item : r.items) actions[item.key.name] = item.action;
  CHECK(actions["a"] == store::Action::kUnchanged);
  CHECK(actions["b"] == store::Action::kConfigured);
  CHECK(actions["c"] == store::Action::kPruned);
  CHECK(f.Get("a")->version == a_version);
  CHECK(f.Get("a")->generation == a_generation);
  CHECK(f.Get("b")->version != b_version);
  CHECK(!f.Get("c"));
}

TEST_CASE("source sync: pruning more than half of the source refuses unless allowed") {
  Fixture f;
  for (const char* n : {"a", "b", "c"}) {
    f.repo.Write(std::string(n) + ".yaml", Deployment(n, std::string(n) + ".py"));
    f.repo.Write(std::string(n) + ".py", "print(0)\n");
  }
  f.repo.Commit("three");
  REQUIRE(f.Sync().applied);
  f.repo.Remove("b.yaml");
  f.repo.Remove("c.yaml");
  f.repo.Commit("drop two");
  SyncReport r = f.Sync();
  REQUIRE(r.error);
  CHECK(r.stage == "apply");
  CHECK(f.Get("b"));
  f.spec.allow_mass_prune = true;
  REQUIRE(f.Sync().applied);
  CHECK(!f.Get("b"));
  CHECK(f.Get("a"));
}

TEST_CASE("source sync: renaming a source's only object applies without allowMassPrune") {
  Fixture f;
  f.repo.Write("a.yaml", Deployment("a", "a.py"));
  f.repo.Write("a.py", "print(0)\n");
  f.repo.Commit("one");
  REQUIRE(f.Sync().applied);
  f.repo.Remove("a.yaml");
  f.repo.Write("b.yaml", Deployment("b", "a.py"));
  f.repo.Commit("rename a to b");
  SyncReport r = f.Sync();
  REQUIRE_FALSE(r.error);
  CHECK(r.applied);
  CHECK(!f.Get("a"));
  CHECK(f.Get("b"));
}

TEST_CASE("source sync: objects of other sets are never pruned") {
  Fixture f;
  f.sync.With([&](store::Store& s) {
    REQUIRE(s.Apply({store::testing::Obj("other", "v-1")}, store::testing::Opts("cli")));
  });
  f.repo.Write("a.yaml", Deployment("a", "a.py"));
  f.repo.Write("a.py", "print(0)\n");
  f.repo.Commit("one");
  REQUIRE(f.Sync().applied);
  CHECK(f.Get("other"));
}

TEST_CASE("source sync: a tag, a commit and a sub-path select what is applied") {
  Fixture f;
  f.repo.Write("deploy/a.yaml", Deployment("a", "a.py"));
  f.repo.Write("deploy/a.py", "print(0)\n");
  f.repo.Write("other/x.yaml", "not: [valid");
  std::string c1 = f.repo.Commit("one");
  f.repo.Git("tag v1");
  f.repo.Write("deploy/a.py", "print(1)\n");
  f.repo.Commit("two");
  f.spec.path = "deploy";
  f.spec.branch.clear();
  f.spec.tag = "v1";
  SyncReport r = f.Sync();
  INFO(r.ErrorJson());
  REQUIRE(r.applied);
  CHECK(r.revision == c1);
  f.spec.tag.clear();
  f.spec.commit = c1.substr(0, 10);
  CHECK(f.Sync().revision == c1);
  f.spec.commit.clear();  // the remote's HEAD branch
  SyncReport head = f.Sync();
  CHECK(head.revision == f.repo.Head());
  CHECK(head.applied);
}

TEST_CASE("source sync: an unreachable remote fails at fetch and applies nothing") {
  Fixture f;
  f.repo.Write("a.yaml", Deployment("a", "a.py"));
  f.repo.Write("a.py", "print(0)\n");
  f.repo.Commit("one");
  std::string url = f.spec.url;
  f.spec.url = "file:///nonexistent/prisn-repo";
  SyncReport r = f.Sync();
  REQUIRE(r.error);
  CHECK(r.stage == "fetch");
  CHECK(f.Record().last_error);
  CHECK(!f.Record().last_applied_commit);

  SECTION("once it is back, an unchanged commit clears the error") {
    f.spec.url = url;
    REQUIRE(f.Sync().applied);
    f.spec.url = "file:///nonexistent/prisn-repo";
    REQUIRE(f.Sync().error);
    f.spec.url = url;
    CHECK(f.Sync().skipped);
    CHECK(!f.Record().last_error);
  }
}

TEST_CASE("source sync: a dir source applies the folder and skips an unchanged one") {
  Fixture f;
  fs::path folder = fs::path(f.dir.path()) / "folder";
  fs::create_directories(folder);
  std::ofstream(folder / "a.yaml") << Deployment("a", "a.py");
  std::ofstream(folder / "a.py") << "print(0)\n";
  f.spec = SourceSpec{};
  f.spec.name = "web";
  f.spec.type = "dir";
  f.spec.dir = folder.string();
  SyncReport r = f.Sync();
  INFO(r.ErrorJson());
  REQUIRE(r.applied);
  CHECK(r.revision.starts_with("dir-"));
  CHECK(f.Sync().skipped);
  std::ofstream(folder / "a.py") << "print(1)\n";
  SyncReport changed = f.Sync();
  REQUIRE(changed.applied);
  CHECK(changed.revision != r.revision);
}

TEST_CASE("source spec: JSON round trip and refusals") {
  auto s = SourceSpecFromJson(nlohmann::json{
      {"name", "web"}, {"url", "file:///r"}, {"tag", "v1"}, {"interval", "1m"}, {"path", "a/./b"}});
  REQUIRE(s);
  CHECK(s->type == "git");
  CHECK(s->interval_ms == 60000);
  CHECK(s->path == "a/b");
  auto back = SourceSpecFromJson(nlohmann::json::parse(SourceSpecToJson(*s).dump()));
  REQUIRE(back);
  CHECK(back->tag == "v1");
  CHECK(!SourceSpecFromJson(nlohmann::json{{"name", "web"}, {"url", "u"}, {"tag", "a"},
                                           {"branch", "b"}}));
  CHECK(!SourceSpecFromJson(nlohmann::json{{"name", "Web"}, {"url", "u"}}));
  CHECK(!SourceSpecFromJson(nlohmann::json{{"name", "w"}, {"dir", "relative"}}));
  CHECK(!SourceSpecFromJson(nlohmann::json{{"name", "w"}, {"url", "u"}, {"path", "../x"}}));
  CHECK(!SourceSpecFromJson(nlohmann::json{{"name", "w"}, {"url", "u"}, {"bogus", 1}}));
}

}  // namespace
}  // namespace prisn::reconciler
