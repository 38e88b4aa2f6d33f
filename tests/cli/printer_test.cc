#include "cli/printer.h"

#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>

namespace prisn::cli {

TEST_CASE("Table aligns columns three spaces apart and fills empty cells with a dash") {
  Table t({"NAME", "TYPE", "REPLICAS", "VERSION", "AGE"});
  t.AddRow({"api", "service", "3/3", "v-e5f6a7b8", "2d"});
  t.AddRow({"cleanup", "cronjob", "", "v-0a1b2c3d", "3d"});
  CHECK(t.Render() ==
        "NAME      TYPE      REPLICAS   VERSION      AGE\n"
        "api       service   3/3        v-e5f6a7b8   2d\n"
        "cleanup   cronjob   -          v-0a1b2c3d   3d\n");
}

TEST_CASE("Table counts UTF-8 code points, not bytes, for widths") {
  Table t({"A", "B"});
  t.AddRow({"é", "x"});
  t.AddRow({"ab", "y"});
  CHECK(t.Render() == "A    B\né    x\nab   y\n");
}

TEST_CASE("Table pads a short row with dashes") {
  Table t({"A", "B", "C"});
  t.AddRow({"1"});
  CHECK(t.Render() == "A   B   C\n1   -   -\n");
}

TEST_CASE("RenderFields aligns values after the longest key") {
  CHECK(RenderFields({{"Name", "api"}, {"Namespace", "default"}, {"Port", ""}}) ==
        "Name:       api\nNamespace:  default\nPort:       -\n");
  CHECK(RenderFields({{"a", "1"}}, 2) == "  a:  1\n");
}

TEST_CASE("ToYaml quotes strings that YAML would read as other types") {
  nlohmann::ordered_json j = {{"port", "8080"}, {"flag", "true"},  {"nothing", "null"},
                              {"yes", "on"},    {"name", "api"},   {"n", 8080},
                              {"empty", ""},    {"list", {1, "2"}}};
  std::string y = ToYaml(j);
  YAML::Node back = YAML::Load(y);
  CHECK(back["port"].Tag() == "!");  // quoted scalar: non-specific "!" tag
  CHECK(back["port"].as<std::string>() == "8080");
  CHECK(back["flag"].Tag() == "!");
  CHECK(back["nothing"].Tag() == "!");
  CHECK(back["yes"].Tag() == "!");
  CHECK(back["name"].Tag() == "?");  // plain
  CHECK(back["n"].as<int>() == 8080);
  CHECK(back["n"].Tag() == "?");
  CHECK(back["empty"].as<std::string>().empty());
  CHECK(back["list"][1].Tag() == "!");
  CHECK(y.find("name: api\n") != std::string::npos);
}

TEST_CASE(
    "ToYaml writes multi-line strings as literal blocks, null as null, empty containers inline") {
  nlohmann::ordered_json j = {{"script", "echo a\necho b\n"}, {"hold", nullptr}};
  std::string y = ToYaml(j);
  CHECK(y.find("script: |\n  echo a\n  echo b\n") != std::string::npos);
  YAML::Node back = YAML::Load(y);
  CHECK(back["script"].as<std::string>() == "echo a\necho b\n");
  CHECK(back["hold"].IsNull());
  CHECK(y.find("hold: null\n") != std::string::npos);
  CHECK(ToYaml(nlohmann::ordered_json{{"labels", nlohmann::ordered_json::object()},
                                      {"args", nlohmann::ordered_json::array()}}) ==
        "labels: {}\nargs: []\n");
}

TEST_CASE("FormatAge picks the largest whole unit") {
  using std::chrono::seconds;
  CHECK(FormatAge(seconds(45)) == "45s");
  CHECK(FormatAge(seconds(119)) == "119s");
  CHECK(FormatAge(seconds(12 * 60)) == "12m");
  CHECK(FormatAge(seconds(12 * 3600)) == "12h");
  CHECK(FormatAge(seconds(2 * 86400 + 5)) == "2d");
  CHECK(FormatAge(seconds(3 * 365 * 86400)) == "3y");
  CHECK(FormatAge(seconds(-1)) == "-");
}

TEST_CASE("ParseRfc3339 reads UTC, fractions and offsets, and rejects junk") {
  CHECK(ParseRfc3339("1970-01-01T00:00:10Z") == 10);
  CHECK(ParseRfc3339("2024-01-21T10:30:00.123Z") == 1705833000);
  CHECK(ParseRfc3339("2024-01-21T12:30:00+02:00") == 1705833000);
  CHECK_FALSE(ParseRfc3339("2024-01-21"));
  CHECK_FALSE(ParseRfc3339("2024-01-21T10:30:00"));
  CHECK_FALSE(ParseRfc3339("2024-13-21T10:30:00Z"));
  CHECK_FALSE(ParseRfc3339("2024-01-21T10:30:00Zjunk"));
}

TEST_CASE("AgeOf accepts RFC 3339 strings and epoch seconds, else a dash") {
  auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1705833000 + 7200));
  CHECK(AgeOf("2024-01-21T10:30:00.000Z", now) == "2h");
  CHECK(AgeOf("2024-01-21T10:30:01.000Z", now) == "119m");
  CHECK(AgeOf(1705833000 + 7200 - 30, now) == "30s");
  CHECK(AgeOf(nullptr, now) == "-");
  CHECK(AgeOf("yesterday", now) == "-");
  CHECK(AgeOf("2024-01-21T12:30:05.000Z", now) == "0s");  // server clock ahead
}

TEST_CASE("Cell prints scalars and a dash for null or empty") {
  CHECK(Cell("api") == "api");
  CHECK(Cell(3) == "3");
  CHECK(Cell(true) == "true");
  CHECK(Cell(nullptr) == "-");
  CHECK(Cell("") == "-");
}

}  // namespace prisn::cli
