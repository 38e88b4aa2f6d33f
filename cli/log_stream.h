#pragma once
// Printing the log lines the API returns (docs/API.md "logs") and how a
// finished run maps to `prisn run`'s exit code.

#include <string>
#include <vector>

#include "api/types_workloads.h"

namespace prisn::cli {

// Prints each line's text: "out" lines on stdout, "err" lines on stderr,
// each prefixed with "[replica] " when `prefix`. Flushes both.
void PrintLogLines(const std::vector<api::LogLine>& lines, bool prefix);

// `prisn run`'s exit code for a finished run: the script's own code (128+N
// after signal N), 124 when prisn stopped it at its timeout, 2 when it never
// ran (it could not start).
int RunExitCode(const api::RunView& run);

// What to say on stderr about how a run ended; empty when the script simply
// exited (its code says it all).
std::string RunEndNote(const api::RunView& run);

}  // namespace prisn::cli
