#pragma once
// Internal to manifests/: the checks that run on raw manifest text before
// yaml-cpp sees it, because yaml-cpp either crashes on it (deep nesting
// overflows its recursive parser) or reports it badly (binary data, tabs).

#include <string>
#include <string_view>
#include <vector>

#include "manifests/diagnostic.h"

namespace prisn::manifests::internal {

// Appends an error at file:line:column (0 = unknown).
void AddError(std::vector<Diagnostic>& diags, std::string_view file, int line, int column,
              std::string message, std::string hint = {});

// One YAML document's text, as split on `---` lines.
struct Piece {
  std::string_view text;
  int first_line = 1;  // 1-based line of text[0] in the file
};

// The offset of the first NUL byte or broken UTF-8 sequence, or npos.
std::size_t FirstBadByte(std::string_view text);
// True when `text` is UTF-8 without NUL bytes.
bool IsUtf8Text(std::string_view text);
// Reports binary data or broken UTF-8 in a whole file; false if found.
bool CheckText(std::string_view file, std::string_view text, std::vector<Diagnostic>& diags);
// Splits on `---` lines, so that a syntax error costs one document and the
// document count is known before parsing.
std::vector<Piece> SplitDocuments(std::string_view text);
// Reports tabs used as indentation and nesting far beyond the limit (an
// upper bound: indentation levels, chained "- " entries, open brackets;
// block scalars are skipped); false if found.
bool ScanStructure(std::string_view file, const Piece& piece, std::vector<Diagnostic>& diags);

}  // namespace prisn::manifests::internal
