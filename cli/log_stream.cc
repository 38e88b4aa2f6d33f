#include "cli/log_stream.h"

#include <fmt/core.h>

#include <cstdio>

#include "cli/command.h"

namespace prisn::cli {
namespace {

bool TimedOut(const api::RunView& run) { return run.reason.starts_with("timed out"); }

}  // namespace

void PrintLogLines(const std::vector<api::LogLine>& lines, bool prefix) {
  for (const api::LogLine& line : lines) {
    std::FILE* to = line.stream == "err" ? stderr : stdout;
    if (prefix) {
      fmt::print(to, "[{}] {}\n", line.replica, line.text);
    } else {
      std::fwrite(line.text.data(), 1, line.text.size(), to);
      std::fputc('\n', to);
    }
  }
  std::fflush(stdout);
  std::fflush(stderr);
}

int RunExitCode(const api::RunView& run) {
  if (run.state == "succeeded") return kExitOk;
  if (TimedOut(run)) return 124;
  if (run.exit_code) return static_cast<int>(*run.exit_code);
  return kExitError;
}

std::string RunEndNote(const api::RunView& run) {
  if (run.state == "succeeded") return {};
  std::string reason = run.reason;
  if (reason.starts_with("exit ")) return {};
  if (reason.empty() && !run.exit_code) reason = "failed without running";
  return reason.empty() ? std::string() : fmt::format("prisn: run {} {}", run.id, reason);
}

}  // namespace prisn::cli
