// The bad corpus: one realistic mistake per tests/manifests/bad/NN-name.yaml
// (or NN-name/ folder), with the exact `prisn validate` text output in
// NN-name.err. PRISN_UPDATE_GOLDEN=1 rewrites the goldens on purpose.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include "tests/manifests/run_prisn.h"

namespace prisn::manifests {
namespace {

namespace fs = std::filesystem;
using testing::Run;
using testing::Slurp;
using testing::Validate;

TEST_CASE("Bad corpus: every mistake gives exactly its golden message and exit code 2", "[corpus]") {
  const fs::path dir = fs::path(PRISN_SOURCE_DIR) / "tests" / "manifests" / "bad";
  const bool update = std::getenv("PRISN_UPDATE_GOLDEN") != nullptr &&
                      std::string(std::getenv("PRISN_UPDATE_GOLDEN")) == "1";
  const std::regex entry(R"(^\d\d-[a-z0-9-]+(\.yaml)?$)");
  std::vector<std::string> cases;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    if (std::regex_match(name, entry)) cases.push_back(name);
  }
  std::sort(cases.begin(), cases.end());
  CHECK(cases.size() >= 40);
  for (const auto& name : cases) {
    const std::string stem = name.ends_with(".yaml") ? name.substr(0, name.size() - 5) : name;
    const fs::path golden = dir / (stem + ".err");
    Run r = Validate(dir, "-f " + name);
    INFO(name << "\n" << r.out);
    CHECK(r.exit_code == 2);
    if (update) {
      std::ofstream(golden, std::ios::binary) << r.out;
      continue;
    }
    REQUIRE(fs::exists(golden));
    CHECK(r.out == Slurp(golden));
  }
}

TEST_CASE("Bad corpus: each golden names one distinct mistake", "[corpus]") {
  const fs::path dir = fs::path(PRISN_SOURCE_DIR) / "tests" / "manifests" / "bad";
  std::set<std::string> first_lines;
  std::size_t goldens = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".err") continue;
    ++goldens;
    std::string text = Slurp(e.path());
    std::string first = text.substr(0, text.find('\n'));
    // Strip "file:line:col: " so that two files with the same mistake collide.
    first = first.substr(first.find(": ") + 2);
    CHECK(first_lines.insert(first).second);
  }
  CHECK(goldens >= 40);
}

}  // namespace
}  // namespace prisn::manifests
