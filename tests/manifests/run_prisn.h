#pragma once
// Runs the real `prisn validate` binary for the manifests tests.

#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace prisn::manifests::testing {

struct Run {
  int exit_code = -1;
  std::string out;
};

// Runs `prisn validate ARGS` in `dir`. Captures stderr and drops stdout, or
// the other way round with `stdout_only`.
inline Run Validate(const std::filesystem::path& dir, const std::string& args, bool stdout_only = false) {
  std::string cmd = "cd '" + dir.string() + "' && '" + std::string(PRISN_BINARY) + "' validate " + args +
                    (stdout_only ? " 2>/dev/null" : " 2>&1 >/dev/null");
  FILE* pipe = ::popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  Run r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) r.out.append(buf, n);
  int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace prisn::manifests::testing
