#include "cli/unified_diff.h"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "cli/ansi.h"

namespace prisn::cli {
namespace {

// Beyond this many edits the middle is shown as one replacement: the trace
// of Myers' search grows with the square of the edit distance.
constexpr int kMaxEditSteps = 2000;

enum class Op { kEqual, kDelete, kInsert };

struct Edit {
  Op op;
  int old_index;  // line in the old text (for kEqual and kDelete)
  int new_index;  // line in the new text (for kEqual and kInsert)
};

// Lines keep their '\n', so a last line without one differs from the same
// text with one, as in diff(1).
std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    lines.push_back(text.substr(start, end - start));
    start = end;
  }
  return lines;
}

// Myers' greedy forward search with a per-step trace, then a walk back from
// the end. a[a_lo, a_hi) against b[b_lo, b_hi); appends edits in order.
bool MyersMiddle(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b,
                 int a_lo, int a_hi, int b_lo, int b_hi, std::vector<Edit>& out) {
  const int n = a_hi - a_lo;
  const int m = b_hi - b_lo;
  const int max = std::min(n + m, kMaxEditSteps);
  const int offset = max + 1;
  std::vector<int> v(static_cast<size_t>(2 * max + 3), 0);
  std::vector<std::vector<int>> trace;
  int found_d = -1;
  for (int d = 0; d <= max && found_d < 0; ++d) {
    trace.push_back(v);
    for (int k = -d; k <= d; k += 2) {
      int x;
      if (k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1])) {
        x = v[offset + k + 1];  // step down: an insertion
      } else {
        x = v[offset + k - 1] + 1;  // step right: a deletion
      }
      int y = x - k;
      while (x < n && y < m && a[a_lo + x] == b[b_lo + y]) {
        ++x;
        ++y;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found_d = d;
        break;
      }
    }
  }
  if (found_d < 0) return false;

  std::vector<Edit> reversed;
  int x = n;
  int y = m;
  for (int d = found_d; d > 0; --d) {
    const auto& pv = trace[static_cast<size_t>(d)];
    int k = x - y;
    int prev_k = (k == -d || (k != d && pv[offset + k - 1] < pv[offset + k + 1])) ? k + 1 : k - 1;
    int prev_x = pv[offset + prev_k];
    int prev_y = prev_x - prev_k;
    while (x > prev_x && y > prev_y) {
      --x;
      --y;
      reversed.push_back({Op::kEqual, a_lo + x, b_lo + y});
    }
    if (x == prev_x) {
      reversed.push_back({Op::kInsert, a_lo + x, b_lo + prev_y});
    } else {
      reversed.push_back({Op::kDelete, a_lo + prev_x, b_lo + y});
    }
    x = prev_x;
    y = prev_y;
  }
  while (x > 0 && y > 0) {
    --x;
    --y;
    reversed.push_back({Op::kEqual, a_lo + x, b_lo + y});
  }
  out.insert(out.end(), reversed.rbegin(), reversed.rend());
  return true;
}

std::vector<Edit> Diff(const std::vector<std::string_view>& a,
                       const std::vector<std::string_view>& b) {
  std::vector<Edit> edits;
  int a_lo = 0, b_lo = 0;
  int a_hi = static_cast<int>(a.size());
  int b_hi = static_cast<int>(b.size());
  while (a_lo < a_hi && b_lo < b_hi && a[a_lo] == b[b_lo]) {
    edits.push_back({Op::kEqual, a_lo++, b_lo++});
  }
  int suffix = 0;
  while (a_hi - suffix > a_lo && b_hi - suffix > b_lo &&
         a[a_hi - suffix - 1] == b[b_hi - suffix - 1]) {
    ++suffix;
  }
  a_hi -= suffix;
  b_hi -= suffix;
  if (!MyersMiddle(a, b, a_lo, a_hi, b_lo, b_hi, edits)) {
    for (int i = a_lo; i < a_hi; ++i) edits.push_back({Op::kDelete, i, b_lo});
    for (int j = b_lo; j < b_hi; ++j) edits.push_back({Op::kInsert, a_hi, j});
  }
  for (int s = 0; s < suffix; ++s) edits.push_back({Op::kEqual, a_hi + s, b_hi + s});
  return edits;
}

std::string Range(int first, int count) {
  // diff(1): a zero-length range names the line before it; ",1" is omitted.
  if (count == 0) return fmt::format("{},0", first);
  if (count == 1) return fmt::format("{}", first + 1);
  return fmt::format("{},{}", first + 1, count);
}

void AppendLine(std::string& out, char prefix, std::string_view line, std::string_view color,
                bool use_color) {
  bool has_newline = !line.empty() && line.back() == '\n';
  if (has_newline) line.remove_suffix(1);
  if (use_color && !color.empty()) out += color;
  out += prefix;
  out += line;
  if (use_color && !color.empty()) out += kReset;
  out += '\n';
  if (!has_newline) out += "\\ No newline at end of file\n";
}

}  // namespace

std::string UnifiedDiff(std::string_view old_text, std::string_view new_text,
                        std::string_view old_label, std::string_view new_label,
                        const DiffOptions& options) {
  if (old_text == new_text) return {};
  auto a = SplitLines(old_text);
  auto b = SplitLines(new_text);
  auto edits = Diff(a, b);
  const int context = std::max(0, options.context);
  const bool color = options.color;

  std::string out;
  auto header = [&](std::string_view text) {
    if (color) out += kBold;
    out += text;
    if (color) out += kReset;
    out += '\n';
  };
  header(fmt::format("--- {}", old_label));
  header(fmt::format("+++ {}", new_label));

  const int total = static_cast<int>(edits.size());
  int i = 0;
  while (i < total) {
    while (i < total && edits[i].op == Op::kEqual) ++i;
    if (i == total) break;
    // A hunk spans from `context` lines before its first change to `context`
    // lines after its last one; changes closer than 2*context join.
    int start = std::max(0, i - context);
    int end = i;
    for (;;) {
      while (end < total && edits[end].op != Op::kEqual) ++end;
      int run = end;
      while (run < total && edits[run].op == Op::kEqual) ++run;
      if (run < total && run - end <= 2 * context) {
        end = run;
        continue;
      }
      end = std::min(total, end + context);
      break;
    }
    int old_first = -1, new_first = -1, old_count = 0, new_count = 0;
    for (int e = start; e < end; ++e) {
      const Edit& ed = edits[e];
      if (ed.op != Op::kInsert) {
        if (old_first < 0) old_first = ed.old_index;
        ++old_count;
      }
      if (ed.op != Op::kDelete) {
        if (new_first < 0) new_first = ed.new_index;
        ++new_count;
      }
    }
    // An empty side starts where the first edit of the hunk sits on it.
    if (old_first < 0) old_first = edits[start].old_index;
    if (new_first < 0) new_first = edits[start].new_index;
    std::string hunk =
        fmt::format("@@ -{} +{} @@", Range(old_first, old_count), Range(new_first, new_count));
    if (color) out += kCyan;
    out += hunk;
    if (color) out += kReset;
    out += '\n';
    for (int e = start; e < end; ++e) {
      const Edit& ed = edits[e];
      switch (ed.op) {
        case Op::kEqual:
          AppendLine(out, ' ', a[ed.old_index], {}, color);
          break;
        case Op::kDelete:
          AppendLine(out, '-', a[ed.old_index], kRed, color);
          break;
        case Op::kInsert:
          AppendLine(out, '+', b[ed.new_index], kGreen, color);
          break;
      }
    }
    i = end;
  }
  return out;
}

bool StdoutWantsColor(bool no_color_flag) {
  if (no_color_flag) return false;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && no_color[0] != '\0') return false;
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::string_view(term) == "dumb") return false;
  return ::isatty(STDOUT_FILENO) == 1;
}

}  // namespace prisn::cli
