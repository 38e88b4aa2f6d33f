#include "manifests/diagnostic.h"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <tuple>

#include "util/strings.h"

namespace prisn::manifests {
namespace {

// Optimal string alignment distance (adjacent transpositions count as one).
std::size_t EditDistance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

std::string FileLocation(const Diagnostic& d, std::string_view prefix) {
  std::string file = d.file.empty() ? std::string() : std::string(prefix) + d.file;
  if (file.empty()) return {};
  if (d.line > 0 && d.column > 0) return fmt::format("{}:{}:{}", file, d.line, d.column);
  if (d.line > 0) return fmt::format("{}:{}", file, d.line);
  return file;
}

}  // namespace

std::string FormatText(const Diagnostic& d, std::string_view file_prefix) {
  std::string out = FileLocation(d, file_prefix);
  if (!out.empty()) out += ": ";
  if (!d.field.empty()) out += d.field + ": ";
  out += d.message;
  if (!d.hint.empty()) out += "\n  hint: " + d.hint;
  return out;
}

nlohmann::json ToJson(const Diagnostic& d, std::string_view file_prefix) {
  return nlohmann::json{
      {"file", d.file.empty() ? std::string() : std::string(file_prefix) + d.file},
      {"line", d.line},
      {"column", d.column},
      {"field", d.field},
      {"message", d.message},
      {"hint", d.hint},
  };
}

void SortDiagnostics(std::vector<Diagnostic>& diags) {
  std::stable_sort(diags.begin(), diags.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.file, a.line, a.column, a.field, a.message) <
           std::tie(b.file, b.line, b.column, b.field, b.message);
  });
  diags.erase(std::unique(diags.begin(), diags.end()), diags.end());
}

std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates) {
  if (word.empty() || word.size() > 64) return {};
  const std::string w = AsciiLower(word);
  std::string best;
  std::size_t best_distance = SIZE_MAX;
  for (const auto& c : candidates) {
    if (c == word) continue;
    const std::string lc = AsciiLower(c);
    std::size_t dist = EditDistance(w, lc);
    // "health" -> "healthCheck": a clear prefix is as good as a typo.
    if (w.size() >= 4 && lc.starts_with(w)) dist = std::min<std::size_t>(dist, 1);
    // "RollingUpdate" -> "rolling": the candidate is a clear prefix of the word.
    if (lc.size() >= 4 && w.starts_with(lc)) dist = std::min<std::size_t>(dist, 1);
    if (dist < best_distance) {
      best_distance = dist;
      best = c;
    }
  }
  const std::size_t limit = w.size() <= 3 ? 1 : w.size() <= 6 ? 2 : 3;
  return best_distance <= limit ? best : std::string();
}

}  // namespace prisn::manifests
