#include "manifests/yaml_scan.h"

#include <fmt/core.h>

#include "manifests/load.h"

namespace prisn::manifests::internal {

void AddError(std::vector<Diagnostic>& diags, std::string_view file, int line, int column,
              std::string message, std::string hint) {
  diags.push_back(Diagnostic{std::string(file), line, column, "", std::move(message),
                             std::move(hint)});
}

namespace {

// Stop yaml-cpp's recursive-descent parser well before its own guard (2000
// levels), which is deeper than a small thread stack survives under ASan.
constexpr int kMaxScannedDepth = 4 * kMaxNestingDepth;

// Position (1-based line and column) of byte `offset` in `text`.
std::pair<int, int> LineColumnOf(std::string_view text, std::size_t offset) {
  int line = 1, column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

bool IsDocumentStart(std::string_view line) {
  return line.starts_with("---") && (line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r');
}

bool IsTokenStart(std::string_view line, std::size_t i) {
  if (i == 0) return true;
  char p = line[i - 1];
  return p == ' ' || p == '\t' || p == '[' || p == '{' || p == ',';
}

}  // namespace

// The offset of the first NUL byte or broken UTF-8 sequence, or npos.
std::size_t FirstBadByte(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    bool ok = len > 0 && i + len <= text.size() && c != 0;
    for (std::size_t k = 1; ok && k < len; ++k) {
      ok = (static_cast<unsigned char>(text[i + k]) >> 6) == 0x2;
    }
    if (ok && len == 2 && c < 0xc2) ok = false;  // overlong
    if (!ok) return i;
    i += len;
  }
  return std::string_view::npos;
}

// Binary data and broken UTF-8 make yaml-cpp produce noise; say what it is.
bool CheckText(std::string_view file, std::string_view text, std::vector<Diagnostic>& diags) {
  {
    std::size_t i = FirstBadByte(text);
    if (i != std::string_view::npos) {
      auto c = static_cast<unsigned char>(text[i]);
      auto [line, column] = LineColumnOf(text, i);
      AddError(diags, file, line, column,
               c == 0 ? "the file holds binary data (a NUL byte), not YAML text"
                      : fmt::format("the file is not UTF-8 text (byte 0x{:02x})", c),
               "manifests are UTF-8 YAML files");
      return false;
    }
  }
  return true;
}

// Splits on `---` lines so that a syntax error costs one document, and so
// that the document count is bounded before yaml-cpp sees anything.
std::vector<Piece> SplitDocuments(std::string_view text) {
  std::vector<Piece> pieces;
  std::size_t start = 0;
  int start_line = 1, line_no = 1;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    if (IsDocumentStart(line) && pos > start) {
      pieces.push_back(Piece{text.substr(start, pos - start), start_line});
      start = pos;
      start_line = line_no;
    }
    if (eol == text.size()) break;
    pos = eol + 1;
    ++line_no;
  }
  pieces.push_back(Piece{text.substr(start), start_line});
  return pieces;
}

// A cheap upper bound of the nesting depth (indentation levels, chained
// "- " entries and open flow brackets), and tabs used as indentation. Lines
// inside block scalars (`|`, `>`) are content and are skipped.
bool ScanStructure(std::string_view file, const Piece& piece, std::vector<Diagnostic>& diags) {
  std::vector<int> indents;
  int flow = 0;
  char quote = 0;
  int block_parent = -1;  // indentation of the line that opened a block scalar
  std::size_t pos = 0;
  int line_no = piece.first_line;
  std::string_view text = piece.text;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    int this_line = line_no++;
    int indent = 0;
    while (indent < static_cast<int>(line.size()) && line[indent] == ' ') ++indent;
    std::string_view content = line.substr(indent);
    bool blank = content.find_first_not_of(" \t\r") == std::string_view::npos;
    if (block_parent >= 0) {
      if (blank || indent > block_parent) continue;
      block_parent = -1;
    }
    if (quote == 0 && flow == 0) {
      if (blank || content.front() == '#') continue;
      if (content.front() == '\t') {
        AddError(diags, file, this_line, indent + 1, "a tab character is used for indentation",
                 "YAML indents with spaces only; replace the tab with spaces");
        return false;
      }
      while (!indents.empty() && indents.back() >= indent) indents.pop_back();
      indents.push_back(indent);
    }
    int dashes = 0;
    std::size_t i = 0;
    if (quote == 0 && flow == 0) {
      while (i + 1 < content.size() && content[i] == '-' && (content[i + 1] == ' ')) {
        ++dashes;
        i += 2;
        while (i < content.size() && content[i] == ' ') ++i;
      }
    }
    auto too_deep = [&] {
      if (static_cast<int>(indents.size()) + dashes + flow <= kMaxScannedDepth) return false;
      AddError(diags, file, this_line, 1,
               fmt::format("the document is nested too deeply (more than {} levels)", kMaxNestingDepth));
      return true;
    };
    if (too_deep()) return false;
    std::string_view rest = content;
    std::size_t last_significant = std::string_view::npos;
    for (; i < rest.size(); ++i) {
      char c = rest[i];
      if (quote == '\'') {
        if (c == '\'') {
          if (i + 1 < rest.size() && rest[i + 1] == '\'') ++i;
          else quote = 0;
        }
        continue;
      }
      if (quote == '"') {
        if (c == '\\') ++i;
        else if (c == '"') quote = 0;
        continue;
      }
      if (c == '#' && IsTokenStart(rest, i)) break;
      if ((c == '\'' || c == '"') && (IsTokenStart(rest, i) || (i > 0 && rest[i - 1] == ':'))) {
        quote = c;
      } else if (c == '[' || c == '{') {
        ++flow;
        if (too_deep()) return false;
      } else if ((c == ']' || c == '}') && flow > 0) {
        --flow;
      }
      if (c != ' ' && c != '\t' && c != '\r') last_significant = i;
    }
    if (quote == 0 && flow == 0 && last_significant != std::string_view::npos) {
      // "key: |", "- >-", "key: |2+": the following lines are a block scalar.
      std::size_t k = last_significant;
      while (k > 0 && (rest[k] == '-' || rest[k] == '+' || (rest[k] >= '0' && rest[k] <= '9'))) --k;
      if ((rest[k] == '|' || rest[k] == '>') && (k == 0 || rest[k - 1] == ' ')) block_parent = indent;
    }
  }
  return true;
}

bool IsUtf8Text(std::string_view text) { return FirstBadByte(text) == std::string_view::npos; }

}  // namespace prisn::manifests::internal
