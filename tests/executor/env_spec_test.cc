#include "executor/env_spec.h"

#include <catch2/catch.hpp>
#include <fstream>

#include "tests/executor/test_util.h"

namespace prisn::executor {

TEST_CASE("NormalizeRequirements drops comments, blank lines and spacing, and sorts") {
  auto lines = NormalizeRequirements(
      "# deps\n\nrequests >=  2.0   # http\nflask\n  flask\n"
      "pkg @ https://example.org/p.zip#egg=pkg\n--index-url https://pypi.example/simple\n",
      "requirements.txt");
  REQUIRE(lines);
  CHECK(*lines == std::vector<std::string>{"--index-url https://pypi.example/simple", "flask",
                                           "pkg @ https://example.org/p.zip#egg=pkg",
                                           "requests >= 2.0"});
  auto same = NormalizeRequirements(
      "flask\nrequests >= 2.0\npkg @ https://example.org/p.zip#egg=pkg\n"
      "--index-url https://pypi.example/simple",
      "requirements.txt");
  CHECK(*same == *lines);
}

TEST_CASE("NormalizeRequirements refuses includes and editables, naming the line") {
  for (std::string bad :
       {"-r other.txt", "--requirement=other.txt", "-c constraints.txt", "-e ./local"}) {
    auto r = NormalizeRequirements("flask\n" + bad + "\n", "requirements.txt");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kInvalid);
    CHECK(r.error().context == "requirements.txt:2");
  }
}

TEST_CASE("NormalizeRequirements refuses --no-binary: environments are built from wheels only") {
  for (std::string bad : {"--no-binary :all:", "--no-binary=prisn-demo", "flask --no-binary flask"}) {
    auto r = NormalizeRequirements("requests\n" + bad + "\n", "requirements.txt");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::kInvalid);
    CHECK(r.error().context == "requirements.txt:2");
    CHECK(r.error().message.find("wheels only") != std::string::npos);
  }
}

TEST_CASE("ReadPythonDependencies: requirements.txt first, then pyproject.toml, else none") {
  testing::TempDir dir;
  CHECK_FALSE(ReadPythonDependencies(dir.path()).value().has_value());
  std::ofstream(dir / "pyproject.toml")
      << "[project]\nname = \"x\"\ndependencies = [\"flask\", \"requests>=2\"]\n";
  auto from_toml = ReadPythonDependencies(dir.path());
  REQUIRE(from_toml);
  REQUIRE(from_toml->has_value());
  CHECK((*from_toml)->origin == "pyproject.toml");
  CHECK((*from_toml)->lines == std::vector<std::string>{"flask", "requests>=2"});
  std::ofstream(dir / "requirements.txt") << "numpy\n";
  CHECK((*ReadPythonDependencies(dir.path()))->lines == std::vector<std::string>{"numpy"});
  std::ofstream(dir / "requirements.txt") << "# nothing\n";
  CHECK_FALSE(ReadPythonDependencies(dir.path()).value().has_value());

  testing::TempDir broken;
  std::ofstream(broken / "pyproject.toml") << "[project\n";
  auto err = ReadPythonDependencies(broken.path());
  REQUIRE_FALSE(err);
  CHECK(err.error().context.starts_with("pyproject.toml:1:"));
}

TEST_CASE(
    "ReadNodeDependencies needs package.json with dependencies and takes the lockfile along") {
  testing::TempDir dir;
  CHECK_FALSE(ReadNodeDependencies(dir.path()).value().has_value());
  std::ofstream(dir / "package.json") << R"({"name": "a", "dependencies": {}})";
  CHECK_FALSE(ReadNodeDependencies(dir.path()).value().has_value());
  std::ofstream(dir / "package.json") << R"({"name": "a", "dependencies": {"left-pad": "1.3.0"}})";
  std::ofstream(dir / "package-lock.json") << "{}";
  auto spec = ReadNodeDependencies(dir.path());
  REQUIRE(spec);
  REQUIRE(spec->has_value());
  CHECK((*spec)->lockfile == "{}");
  std::ofstream(dir / "package.json") << "not json";
  CHECK(ReadNodeDependencies(dir.path()).error().code == ErrorCode::kInvalid);
}

TEST_CASE("Sha256Hex matches the FIPS 180-2 test vector") {
  CHECK(Sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("SuggestPythonPackages lists undeclared third-party imports by package name") {
  std::string source =
      "import os, sys\nimport yaml\nfrom PIL import Image\nimport requests as r\n"
      "from . import sibling\nfrom helpers.util import x\nfrom __future__ import annotations\n"
      "    import numpy.linalg\n";
  auto got = SuggestPythonPackages(source, {"os", "sys"}, {"helpers"});
  CHECK(got == std::vector<std::string>{"Pillow", "numpy", "requests", "PyYAML"});
}

}  // namespace prisn::executor
