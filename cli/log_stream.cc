#include "cli/log_stream.h"

#include <fmt/core.h>

#include <cstdio>

#include "cli/command.h"

namespace prisn::cli {
namespace {

using json = nlohmann::ordered_json;

std::string Str(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool TimedOut(const json& run) { return Str(run, "reason").starts_with("timed out"); }

}  // namespace

void PrintLogLines(const json& lines, bool prefix) {
  if (!lines.is_array()) return;
  for (const auto& line : lines) {
    std::FILE* to = Str(line, "stream") == "err" ? stderr : stdout;
    std::string text = Str(line, "text");
    if (prefix) {
      fmt::print(to, "[{}] {}\n", Str(line, "replica"), text);
    } else {
      std::fwrite(text.data(), 1, text.size(), to);
      std::fputc('\n', to);
    }
  }
  std::fflush(stdout);
  std::fflush(stderr);
}

int RunExitCode(const json& run) {
  if (Str(run, "state") == "succeeded") return kExitOk;
  if (TimedOut(run)) return 124;
  json code = run.value("exitCode", json());
  if (code.is_number_integer()) return code.get<int>();
  return kExitError;
}

std::string RunEndNote(const json& run) {
  if (Str(run, "state") == "succeeded") return {};
  std::string reason = Str(run, "reason");
  if (reason.starts_with("exit ")) return {};
  if (reason.empty() && !run.value("exitCode", json()).is_number_integer())
    reason = "failed without running";
  return reason.empty() ? std::string() : fmt::format("prisn: run {} {}", Str(run, "id"), reason);
}

}  // namespace prisn::cli
