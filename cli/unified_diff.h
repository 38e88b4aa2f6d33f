#pragma once
// Line-based unified diff (Myers' O(ND) algorithm) of two small texts, as
// `diff -u` prints it: `---`/`+++` header lines with the given labels, hunks
// with `context` lines of context, "\ No newline at end of file" where a text
// does not end in a newline.

#include <string>
#include <string_view>

namespace prisn::cli {

struct DiffOptions {
  int context = 3;
  bool color = false;  // ANSI: bold headers, cyan hunk lines, red -, green +
};

// The diff of `old_text` to `new_text`; empty when they are equal. Texts whose
// difference exceeds a few thousand edit steps are shown as a whole-text
// replacement of the differing middle, which is still a correct diff.
std::string UnifiedDiff(std::string_view old_text, std::string_view new_text,
                        std::string_view old_label, std::string_view new_label,
                        const DiffOptions& options = {});

// Whether output to stdout may be colored: stdout is a terminal, `--no-color`
// was not given, NO_COLOR is unset or empty and TERM is not "dumb".
bool StdoutWantsColor(bool no_color_flag);

}  // namespace prisn::cli
