#pragma once
// One problem found in a manifest set, pointing at the place to fix it.

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace prisn::manifests {

struct Diagnostic {
  std::string file;    // relative to the manifest root; empty for set-wide problems
  int line = 0;        // 1-based; 0 when unknown
  int column = 0;      // 1-based; 0 when unknown
  std::string field;   // "spec.healthCheck.http.port"; empty for document-level problems
  std::string message; // "expected an integer from 1 to 65535, found \"eighty\""
  std::string hint;    // "did you mean \"port\"?"; may be empty

  friend bool operator==(const Diagnostic&, const Diagnostic&) = default;
};

// "examples/bad.yaml:12:9: spec.healthCheck.http.port: expected ..., found ..."
// followed, when there is a hint, by "\n  hint: did you mean ...?". No
// trailing newline. `file_prefix` is prepended to the file (the CLI passes
// the directory the user named, so paths read as typed).
std::string FormatText(const Diagnostic& d, std::string_view file_prefix = {});

// {"file","line","column","field","message","hint"}; all keys always present.
nlohmann::json ToJson(const Diagnostic& d, std::string_view file_prefix = {});

// Stable order for output: file, line, column, field, message.
void SortDiagnostics(std::vector<Diagnostic>& diags);

// The closest candidate to `word` within a small edit distance (Damerau-
// Levenshtein, case-insensitive), or empty when nothing is close enough.
std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace prisn::manifests
