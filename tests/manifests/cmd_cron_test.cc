// `prisn cron next`, through the real binary.

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace {

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string Quote(const std::string& arg) {
  std::string q = "'";
  for (char c : arg) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

Outcome Prisn(std::initializer_list<std::string> args) {
  const auto err_path = std::filesystem::temp_directory_path() /
                        ("prisn_cron_test_" + std::to_string(::getpid()) + ".err");
  std::string cmd = Quote(PRISN_BINARY);
  for (const auto& a : args) cmd += " " + Quote(a);
  cmd += " 2>" + Quote(err_path.string());
  Outcome o;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) o.out.append(buf, n);
  const int status = ::pclose(pipe);
  o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream err(err_path);
  std::stringstream ss;
  ss << err.rdbuf();
  o.err = ss.str();
  std::filesystem::remove(err_path);
  return o;
}

TEST_CASE("prisn cron next prints fire times with offsets across a DST gap") {
  auto o = Prisn({"cron", "next", "0 2 * * *", "--tz", "Europe/Berlin", "--from",
                  "2026-03-28T00:00:00", "--count", "3"});
  INFO(o.err);
  CHECK(o.exit_code == 0);
  CHECK(o.out ==
        "2026-03-28T02:00:00+01:00\n"
        "2026-03-29T03:00:00+02:00\n"
        "2026-03-30T02:00:00+02:00\n");
}

TEST_CASE("prisn cron next reads --from with an offset and prints json") {
  auto o = Prisn({"cron", "next", "*/30 * * * *", "--tz", "Europe/Berlin", "--from",
                  "2026-10-25T01:50:00+02:00", "-n", "4", "-o", "json"});
  INFO(o.err);
  REQUIRE(o.exit_code == 0);
  CHECK(nlohmann::json::parse(o.out) ==
        nlohmann::json({"2026-10-25T02:00:00+02:00", "2026-10-25T02:30:00+02:00",
                        "2026-10-25T02:00:00+01:00", "2026-10-25T02:30:00+01:00"}));
}

TEST_CASE("prisn cron next joins an unquoted expression and reads a date-only --from") {
  auto o =
      Prisn({"cron", "next", "@every", "90m", "--tz", "UTC", "--from", "2026-01-01", "-n", "2"});
  INFO(o.err);
  CHECK(o.exit_code == 0);
  CHECK(o.out == "2026-01-01T01:30:00+00:00\n2026-01-01T03:00:00+00:00\n");
}

TEST_CASE("prisn cron next with an invalid expression shows a caret and exits 2") {
  auto o = Prisn({"cron", "next", "0 25 * * *", "--tz", "UTC"});
  CHECK(o.exit_code == 2);
  CHECK(o.out.empty());
  CHECK(o.err ==
        "error: invalid schedule: hour 25 is out of range: allowed 0-23\n"
        "  0 25 * * *\n"
        "    ^\n");
}

TEST_CASE("prisn cron next with a never-firing expression points at the day field") {
  auto o = Prisn({"cron", "next", "0 0 30 2 *", "--tz", "UTC"});
  CHECK(o.exit_code == 2);
  CHECK(o.err.find("never fire") != std::string::npos);
  CHECK(o.err.find("\n  0 0 30 2 *\n      ^\n") != std::string::npos);
}

TEST_CASE("prisn cron next with an unknown zone suggests one and exits 2") {
  auto o = Prisn({"cron", "next", "0 * * * *", "--tz", "America/New_Yrok"});
  CHECK(o.exit_code == 2);
  CHECK(o.err.find("did you mean \"America/New_York\"") != std::string::npos);
}

TEST_CASE("prisn cron next with a malformed --from exits 2") {
  auto o = Prisn({"cron", "next", "0 * * * *", "--tz", "UTC", "--from", "2026-02-30"});
  CHECK(o.exit_code == 2);
  CHECK(o.err.find("no such date") != std::string::npos);
}

TEST_CASE("prisn cron next with no fire time left exits 1") {
  auto o = Prisn({"cron", "next", "0 0 29 2 *", "--tz", "UTC", "--from", "9997-01-01T00:00:00Z"});
  CHECK(o.exit_code == 1);
  CHECK(o.out.empty());
  CHECK(o.err.find("never fires after") != std::string::npos);
}

}  // namespace
