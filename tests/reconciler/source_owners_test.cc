// Two folder sources that define the same object: the second is refused
// with a conflict that lands in its status and events, never adopted.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "reconciler/apply.h"
#include "reconciler/source_sync.h"
#include "store_fixture.h"

namespace prisn::reconciler {
namespace {

namespace fs = std::filesystem;

struct TwoSources : store::testing::StoreFixture {
  Synchronized<store::Store> sync{Open()};
  StoreSourceTarget target{sync};

  SourceSpec Add(const std::string& name, const std::vector<std::string>& deployments) {
    fs::path folder = fs::path(dir.path()) / name;
    fs::create_directories(folder);
    for (const std::string& d : deployments) {
      std::ofstream(folder / (d + ".yaml"))
          << "apiVersion: prisn.io/v1\nkind: Deployment\nmetadata:\n  name: " << d
          << "\nspec:\n  source:\n    inline: sleep 60\n  runtime: bash\n  replicas: 1\n";
    }
    SourceSpec spec;
    spec.name = name;
    spec.type = "dir";
    spec.dir = folder.string();
    sync.With([&](store::Store& s) {
      store::SourceRecord r;
      r.name = name;
      r.type = "dir";
      r.spec_json = "{}";
      REQUIRE(s.PutSource(r, false, "admin"));
    });
    return spec;
  }
  SyncReport Sync(const SourceSpec& spec) {
    SyncOptions options;
    options.state_dir = dir.path();
    SyncReport r = SyncSource(spec, target, options);
    sync.With([&](store::Store& s) { REQUIRE(RecordSync(s, spec.name, r)); });
    return r;
  }
  std::optional<std::string> SetOf(const std::string& name) {
    auto got = sync.With([&](store::Store& s) { return s.Get({"Deployment", "default", name}); });
    REQUIRE(got);
    REQUIRE(*got);
    return (**got).apply_set;
  }
};

}  // namespace

TEST_CASE("source sync: a second source defining another source's object fails with a conflict") {
  TwoSources f;
  SourceSpec one = f.Add("one", {"shared", "a"});
  SourceSpec two = f.Add("two", {"shared", "b"});
  REQUIRE(f.Sync(one).applied);

  SyncReport r = f.Sync(two);
  REQUIRE(r.error);
  CHECK(r.stage == "apply");
  CHECK(r.error->code == ErrorCode::kConflict);
  CHECK(r.error->ToString().find("Deployment/default/shared: defined by source two but already "
                                 "owned by source one") != std::string::npos);
  // Nothing of the failed revision was applied; the object stays the first's.
  CHECK(f.SetOf("shared") == "source:one");
  auto b = f.sync.With([&](store::Store& s) { return s.Get({"Deployment", "default", "b"}); });
  CHECK_FALSE(b->has_value());

  // `prisn source get two` shows it, and the event log has it.
  auto record = f.sync.With([&](store::Store& s) { return s.GetSource("two"); });
  REQUIRE((record && *record && (*record)->last_error));
  auto error = nlohmann::json::parse(*(*record)->last_error);
  CHECK(error["stage"] == "apply");
  CHECK(error["message"].get<std::string>().find("already owned by source one") !=
        std::string::npos);
  auto events = f.sync.With([&](store::Store& s) { return s.Events({}); });
  REQUIRE(events);
  bool recorded = false;
  for (const store::Event& e : *events)
    recorded |= e.type == "source-failed" && e.message.find("owned by source one") != std::string::npos;
  CHECK(recorded);

  // The first source keeps syncing; the second still cannot take the object.
  CHECK_FALSE(f.Sync(one).error);
  CHECK(f.Sync(two).error);
}

}  // namespace prisn::reconciler
