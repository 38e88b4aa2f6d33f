// CRUD of sources rows and their status.
#include <catch2/catch.hpp>

#include "store_fixture.h"

namespace prisn::store {
namespace {

using testing::StoreFixture;

SourceRecord Source(const std::string& name) {
  SourceRecord r;
  r.name = name;
  r.type = "git";
  r.spec_json = R"({"name":")" + name + R"(","url":"file:///r"})";
  return r;
}

TEST_CASE("source store: put, get, list and delete, with events") {
  StoreFixture f;
  REQUIRE(f.store.PutSource(Source("b"), false, "admin"));
  REQUIRE(f.store.PutSource(Source("a"), false, "admin"));
  auto taken = f.store.PutSource(Source("a"), false, "admin");
  REQUIRE(!taken);
  CHECK(taken.error().code == ErrorCode::kConflict);
  auto list = f.store.ListSources();
  REQUIRE(list);
  REQUIRE(list->size() == 2);
  CHECK((*list)[0].name == "a");
  CHECK((*list)[0].created_ms == f.clock_ms);
  REQUIRE(f.store.DeleteSource("a", "admin"));
  auto gone = f.store.GetSource("a");
  REQUIRE(gone);
  CHECK(!*gone);
  auto again = f.store.DeleteSource("a", "admin");
  REQUIRE(!again);
  CHECK(again.error().code == ErrorCode::kNotFound);
  auto events = f.store.Events({});
  REQUIRE(events);
  REQUIRE(!events->empty());
  CHECK(events->back().type == "source-deleted");
}

TEST_CASE("source store: status updates keep what they do not name") {
  StoreFixture f;
  REQUIRE(f.store.PutSource(Source("a"), false, "admin"));
  SourceStatusUpdate fetched;
  fetched.fetched_commit = "c1";
  fetched.applied_commit = "c1";
  REQUIRE(f.store.UpdateSourceStatus("a", fetched));
  f.clock_ms += 1000;
  SourceStatusUpdate failed;
  failed.fetched_commit = "c2";
  failed.set_error = true;
  failed.error = R"({"stage":"load"})";
  REQUIRE(f.store.UpdateSourceStatus("a", failed));
  auto r = f.store.GetSource("a");
  REQUIRE(r);
  REQUIRE(*r);
  CHECK((*r)->last_fetched_commit == "c2");
  CHECK((*r)->last_fetched_ms == f.clock_ms);
  CHECK((*r)->last_applied_commit == "c1");
  CHECK((*r)->last_applied_ms == f.clock_ms - 1000);
  CHECK((*r)->last_error == R"({"stage":"load"})");
  REQUIRE(f.store.SetSourceSuspended("a", true, "admin"));
  CHECK((*f.store.GetSource("a"))->suspended);
  // Overwriting the definition keeps the status.
  REQUIRE(f.store.PutSource(Source("a"), true, "admin"));
  CHECK((*f.store.GetSource("a"))->last_applied_commit == "c1");
  CHECK(!f.store.UpdateSourceStatus("zz", fetched));
}

}  // namespace
}  // namespace prisn::store
