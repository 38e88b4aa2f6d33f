#include "manifests/units.h"

#include <catch2/catch.hpp>

namespace prisn::manifests {
namespace {

TEST_CASE("ParseCpu: millicores and fractions become millicores", "[units]") {
  CHECK(ParseCpu("500m")->value == 500);
  CHECK(ParseCpu("0.5")->value == 500);
  CHECK(ParseCpu("2")->value == 2000);
  CHECK(ParseCpu("1.25")->value == 1250);
  CHECK(ParseCpu("1m")->value == 1);
}

TEST_CASE("ParseCpu: junk, zero and sub-millicore amounts fail", "[units]") {
  for (const char* bad : {"", "0", "0m", "0.0001", "500M", "1.5m", "-1", "1e3", "abc", "m", "1 m", "5000000"}) {
    INFO(bad);
    CHECK_FALSE(ParseCpu(bad).has_value());
  }
}

TEST_CASE("ParseBytes: binary and decimal suffixes", "[units]") {
  CHECK(ParseBytes("512Mi")->value == 512LL << 20);
  CHECK(ParseBytes("1Gi")->value == 1LL << 30);
  CHECK(ParseBytes("1.5Gi")->value == 3LL << 29);
  CHECK(ParseBytes("100M")->value == 100000000);
  CHECK(ParseBytes("4096")->value == 4096);
  CHECK(ParseBytes("1k")->value == 1000);
  CHECK(ParseBytes("2Ti")->value == 2LL << 40);
}

TEST_CASE("ParseBytes: unknown suffixes, fractions of a byte and overflow fail", "[units]") {
  for (const char* bad : {"512MB", "1GB", "1.5", "Mi", "", "1 Gi", "-1Mi", "99999999Pi", "1m", "0.1Ki"}) {
    INFO(bad);
    CHECK_FALSE(ParseBytes(bad).has_value());
  }
}

TEST_CASE("ParseDuration: Go-style units and compounds", "[units]") {
  CHECK(ParseDuration("30s")->count() == 30000);
  CHECK(ParseDuration("10m")->count() == 600000);
  CHECK(ParseDuration("1h")->count() == 3600000);
  CHECK(ParseDuration("1h30m")->count() == 5400000);
  CHECK(ParseDuration("500ms")->count() == 500);
  CHECK(ParseDuration("1.5h")->count() == 5400000);
  CHECK(ParseDuration("2d")->count() == 2 * 86400000LL);
  CHECK(ParseDuration("0s")->count() == 0);
}

TEST_CASE("ParseDuration: a bare number, spaces and words fail", "[units]") {
  for (const char* bad : {"30", "", "10 minutes", "1h 30m", "-5s", "1.5ms", "5x", "h", "1e3s"}) {
    INFO(bad);
    CHECK_FALSE(ParseDuration(bad).has_value());
  }
}

TEST_CASE("Format: canonical spellings round-trip through the parsers", "[units]") {
  CHECK(FormatCpu(Quantity{500}) == "500m");
  CHECK(FormatCpu(Quantity{2000}) == "2");
  CHECK(FormatBytes(Quantity{512LL << 20}) == "512Mi");
  CHECK(FormatBytes(*ParseBytes("0.5Gi")) == "512Mi");
  CHECK(FormatBytes(Quantity{100000000}) == "100M");
  CHECK(FormatBytes(Quantity{1000}) == "1k");
  CHECK(FormatBytes(Quantity{1001}) == "1001");
  CHECK(FormatDuration(Duration{5400000}) == "1h30m");
  CHECK(FormatDuration(Duration{1500}) == "1500ms");
  CHECK(FormatDuration(Duration{0}) == "0s");
  for (const char* d : {"1h30m", "10s", "1500ms", "25h1s"}) CHECK(FormatDuration(*ParseDuration(d)) == d);
  CHECK(FormatIntOrPercent(IntOrPercent{25, true}) == "25%");
  CHECK(FormatIntOrPercent(IntOrPercent{1, false}) == "1");
}

}  // namespace
}  // namespace prisn::manifests
