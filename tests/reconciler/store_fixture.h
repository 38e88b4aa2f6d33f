#pragma once
// A store on a fresh temporary database, and shorthands for desired objects.

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "reconciler/store.h"

namespace prisn::store::testing {

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("prisn-store-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string path() const { return path_.string(); }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// A deployment-like object; the store never parses the JSON.
inline DesiredObject Obj(const std::string& name, const std::string& version,
                         const std::string& ns = "default", const std::string& kind = "Deployment",
                         const std::string& extra = "") {
  DesiredObject d;
  d.key = {kind, ns, name};
  d.version = version;
  d.canonical_json =
      R"({"kind":")" + kind + R"(","name":")" + name + R"(","v":")" + version + "\"" + extra + "}";
  d.display_json = d.canonical_json;
  return d;
}

inline ApplyOptions Opts(const std::string& set, bool prune = false) {
  ApplyOptions o;
  o.set = set;
  o.prune = prune;
  o.actor = "tester";
  return o;
}

struct StoreFixture {
  TempDir dir;
  int64_t clock_ms = 1'700'000'000'000;
  Store store = Open();

  Store Open(int revision_limit = 10) {
    StoreOptions options;
    options.revision_limit = revision_limit;
    options.now_ms = [this] { return clock_ms; };
    auto box = SecretBox::LoadOrCreate(dir.File("secret.key"));
    if (!box) throw std::runtime_error(box.error().ToString());
    auto s = Store::Open(dir.File("prisn.db"), std::move(*box), options);
    if (!s) throw std::runtime_error(s.error().ToString());
    return std::move(*s);
  }
};

}  // namespace prisn::store::testing
