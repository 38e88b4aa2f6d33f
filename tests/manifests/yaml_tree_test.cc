// Hostile and odd YAML: every case must end in a clean diagnostic, quickly,
// never a crash, a hang or an exception.
#include "manifests/yaml_tree.h"

#include <catch2/catch.hpp>
#include <random>

#include "manifests/load.h"

namespace prisn::manifests {
namespace {

bool Mentions(const LoadedSet& set, const std::string& text) {
  for (const auto& d : set.errors) {
    if (d.message.find(text) != std::string::npos || d.hint.find(text) != std::string::npos) return true;
  }
  return false;
}

const std::string kValid =
    "apiVersion: prisn.io/v1\n"
    "kind: Job\n"
    "metadata:\n"
    "  name: ok\n"
    "spec:\n"
    "  runtime: bash\n"
    "  source:\n"
    "    inline: echo hi\n";

TEST_CASE("ParseDocuments: deep flow nesting is refused cleanly", "[yaml]") {
  std::string yaml = "a: " + std::string(100000, '[') + std::string(100000, ']') + "\n";
  auto set = ParseDocuments("deep.yaml", yaml);
  CHECK(set.objects.empty());
  CHECK(Mentions(set, "nested too deeply"));
}

TEST_CASE("ParseDocuments: deep block nesting is refused cleanly", "[yaml]") {
  std::string yaml;
  for (int i = 0; i < 300; ++i) yaml += std::string(i * 2, ' ') + "a:\n";
  auto set = ParseDocuments("deep.yaml", yaml);
  CHECK(Mentions(set, "nested too deeply"));
  std::string dashes;
  for (int i = 0; i < 5000; ++i) dashes += "- ";
  dashes += "x\n";
  CHECK(Mentions(ParseDocuments("dash.yaml", dashes), "nested too deeply"));
}

TEST_CASE("ParseDocuments: moderate nesting past the limit points at the node", "[yaml]") {
  std::string yaml = "spec: " + std::string(80, '[') + std::string(80, ']') + "\n";
  auto set = ParseDocuments("n.yaml", yaml);
  REQUIRE_FALSE(set.errors.empty());
  CHECK(set.errors[0].line == 1);
  CHECK(Mentions(set, "more than 64 levels"));
}

TEST_CASE("ParseDocuments: a self-referencing alias does not loop", "[yaml]") {
  auto set = ParseDocuments("self.yaml", "a: &x [1, *x]\n");
  CHECK(set.objects.empty());
  CHECK_FALSE(set.errors.empty());
}

TEST_CASE("ParseDocuments: an alias bomb is cut off by the node budget", "[yaml]") {
  std::string yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 12; ++i) {
    yaml += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) yaml += (k ? ", *a" : "*a") + std::to_string(i - 1);
    yaml += "]\n";
  }
  auto set = ParseDocuments("bomb.yaml", yaml);
  CHECK(set.objects.empty());
  CHECK(Mentions(set, "after expanding aliases"));
}

TEST_CASE("ParseDocuments: a huge scalar is refused", "[yaml]") {
  std::string yaml = kValid + "  args: [\"" + std::string(2u << 20, 'x') + "\"]\n";
  auto set = ParseDocuments("huge.yaml", yaml);
  CHECK(set.objects.empty());
  CHECK(Mentions(set, "value is too large"));
}

TEST_CASE("ParseDocuments: a file over the size limit is refused before parsing", "[yaml]") {
  std::string yaml(kMaxManifestFileBytes + 1, '#');
  auto set = ParseDocuments("big.yaml", yaml);
  CHECK(Mentions(set, "the file is too large"));
}

TEST_CASE("ParseDocuments: binary data and broken UTF-8 are named as such", "[yaml]") {
  std::string bin("apiVersion: prisn.io/v1\n\x00\x01\x02\xff", 28);
  auto set = ParseDocuments("bin.yaml", bin);
  REQUIRE(set.errors.size() == 1);
  CHECK(set.errors[0].line == 2);
  CHECK(Mentions(set, "binary data"));
  auto latin1 = ParseDocuments("l1.yaml", "name: caf\xe9\n");
  CHECK(Mentions(latin1, "not UTF-8"));
  CHECK(latin1.errors[0].column == 10);
}

TEST_CASE("ParseDocuments: escapes cannot smuggle NUL bytes into values", "[yaml]") {
  auto set = ParseDocuments("nul.yaml", kValid + "  args: [\"a\\0b\"]\n");
  CHECK(set.objects.empty());
  CHECK(Mentions(set, "NUL character"));
  CHECK(Mentions(ParseDocuments("sur.yaml", kValid + "  args: [\"\\ud800\"]\n"), "invalid unicode"));
}

TEST_CASE("ParseDocuments: too many documents are refused", "[yaml]") {
  std::string yaml;
  for (std::size_t i = 0; i <= kMaxDocumentsPerFile; ++i) yaml += "---\na: 1\n";
  CHECK(Mentions(ParseDocuments("many.yaml", yaml), "documents; the limit"));
}

TEST_CASE("ParseDocuments: random garbage never throws and always ends", "[yaml]") {
  std::mt19937 rng(42);
  const std::string alphabet = "-:[]{}&*!|>'\"#%@`, \n\tab0\\?<";
  for (int round = 0; round < 3000; ++round) {
    std::string s;
    std::size_t len = rng() % 200;
    for (std::size_t i = 0; i < len; ++i) {
      s += round % 3 == 0 ? static_cast<char>(rng() % 256) : alphabet[rng() % alphabet.size()];
    }
    INFO(round);
    CHECK_NOTHROW(ParseDocuments("garbage.yaml", s));
  }
}

TEST_CASE("ParseDocuments: mutations of a valid manifest never throw", "[yaml]") {
  std::mt19937 rng(7);
  const std::string& base = kValid;
  for (int round = 0; round < 3000; ++round) {
    std::string s = base;
    for (int k = 0; k < 3; ++k) {
      std::size_t at = rng() % s.size();
      switch (rng() % 3) {
        case 0: s[at] = static_cast<char>(rng() % 128); break;
        case 1: s.erase(at, 1); break;
        default: s.insert(at, 1, "-:[{&*|\"'\n "[rng() % 12]);
      }
      if (s.empty()) s = "x";
    }
    INFO(s);
    CHECK_NOTHROW(ParseDocuments("mut.yaml", s));
  }
}

TEST_CASE("ParseDocuments: duplicate keys are reported with both lines", "[yaml]") {
  auto set = ParseDocuments("dup.yaml", kValid + "  args: [a]\n  args: [b]\n");
  REQUIRE(set.errors.size() == 1);
  CHECK(set.errors[0].line == 10);
  CHECK(set.errors[0].message == "duplicate key \"args\" (first at line 9)");
}

TEST_CASE("ParseDocuments: tab indentation gets its own message", "[yaml]") {
  auto set = ParseDocuments("tab.yaml", "apiVersion: prisn.io/v1\nkind: Job\nmetadata:\n\tname: x\n");
  REQUIRE(set.errors.size() == 1);
  CHECK(set.errors[0].line == 4);
  CHECK(set.errors[0].message.find("tab") != std::string::npos);
}

TEST_CASE("ParseDocuments: tabs inside a block scalar are content", "[yaml]") {
  auto set = ParseDocuments("ok.yaml", kValid + "  env:\n    SCRIPT: |\n      a\n      \tb\n");
  CHECK(set.ok());
}

TEST_CASE("ParseDocuments: a syntax error costs only its own document", "[yaml]") {
  std::string yaml = "apiVersion: [unclosed\n---\n" + kValid;
  auto set = ParseDocuments("two.yaml", yaml);
  CHECK(set.objects.size() == 1);
  REQUIRE(set.errors.size() == 1);
  CHECK(set.errors[0].line <= 2);
}

TEST_CASE("ParseDocuments: positions in later documents are file lines", "[yaml]") {
  std::string yaml = kValid + "---\n" + kValid + "  replicas: 2\n";
  auto set = ParseDocuments("p.yaml", yaml);
  REQUIRE(set.errors.size() == 1);
  CHECK(set.errors[0].line == 18);
  CHECK(set.errors[0].column == 3);
  CHECK(set.objects[1].line == 10);
}

TEST_CASE("ParseDocuments: merge keys fill fields, explicit keys win", "[yaml]") {
  std::string yaml =
      "apiVersion: prisn.io/v1\nkind: Job\nmetadata: {name: m}\n"
      "spec:\n"
      "  <<: &defaults\n"
      "    runtime: bash\n"
      "    backoffLimit: 1\n"
      "    source: {inline: echo default}\n"
      "  backoffLimit: 4\n";
  auto set = ParseDocuments("merge.yaml", yaml);
  REQUIRE(set.ok());
  const auto& job = std::get<JobSpec>(set.objects[0].spec);
  CHECK(job.runtime == "bash");
  CHECK(job.backoff_limit == 4);
  CHECK(job.source.inline_text == "echo default");
}

TEST_CASE("ParseDocuments: empty and comment-only documents are ignored", "[yaml]") {
  auto set = ParseDocuments("e.yaml", "# nothing\n---\n---\n~\n---\n" + kValid);
  CHECK(set.ok());
  CHECK(set.objects.size() == 1);
}

TEST_CASE("ParseDocuments: a byte order mark is accepted", "[yaml]") {
  CHECK(ParseDocuments("bom.yaml", "\xEF\xBB\xBF" + kValid).ok());
}

TEST_CASE("Describe: values are quoted, shortened and escaped", "[yaml]") {
  internal::YNode n;
  n.type = internal::YNode::Type::kScalar;
  n.scalar = "eighty";
  CHECK(internal::Describe(n) == "\"eighty\"");
  n.scalar = "70000";
  CHECK(internal::Describe(n) == "70000");
  n.plain = false;
  CHECK(internal::Describe(n) == "\"70000\"");
  n.scalar = std::string(100, 'a');
  CHECK(internal::Describe(n) == "\"" + std::string(37, 'a') + "...\"");
  n.scalar = "a\nb";
  CHECK(internal::Describe(n) == "\"a\\nb\"");
  n.type = internal::YNode::Type::kMap;
  CHECK(internal::Describe(n) == "a mapping");
}

}  // namespace
}  // namespace prisn::manifests
