#include "cli/unified_diff.h"

#include <catch2/catch.hpp>
#include <string>

namespace prisn::cli {
namespace {

std::string Lines(int from, int to) {
  std::string s;
  for (int i = from; i <= to; ++i) s += "line" + std::to_string(i) + "\n";
  return s;
}

}  // namespace

TEST_CASE("UnifiedDiff of equal texts is empty") {
  CHECK(UnifiedDiff("a\nb\n", "a\nb\n", "old", "new").empty());
  CHECK(UnifiedDiff("", "", "old", "new").empty());
}

TEST_CASE("UnifiedDiff of one changed line shows three lines of context each side") {
  std::string old_text = Lines(1, 10);
  std::string new_text = old_text;
  new_text.replace(new_text.find("line5\n"), 6, "LINE5\n");
  CHECK(UnifiedDiff(old_text, new_text, "a", "b") ==
        "--- a\n"
        "+++ b\n"
        "@@ -2,7 +2,7 @@\n"
        " line2\n"
        " line3\n"
        " line4\n"
        "-line5\n"
        "+LINE5\n"
        " line6\n"
        " line7\n"
        " line8\n");
}

TEST_CASE("UnifiedDiff joins changes closer than twice the context into one hunk") {
  std::string old_text = Lines(1, 12);
  std::string new_text = old_text;
  new_text.replace(new_text.find("line2\n"), 6, "x2\n");
  new_text.replace(new_text.find("line8\n"), 6, "x8\n");
  CHECK(UnifiedDiff(old_text, new_text, "a", "b") ==
        "--- a\n+++ b\n"
        "@@ -1,11 +1,11 @@\n"
        " line1\n-line2\n+x2\n line3\n line4\n line5\n line6\n line7\n-line8\n+x8\n"
        " line9\n line10\n line11\n");
}

TEST_CASE("UnifiedDiff splits changes further apart than twice the context") {
  std::string old_text = Lines(1, 20);
  std::string new_text = old_text;
  new_text.replace(new_text.find("line2\n"), 6, "x2\n");
  new_text.replace(new_text.find("line18\n"), 7, "x18\n");
  CHECK(UnifiedDiff(old_text, new_text, "a", "b") ==
        "--- a\n+++ b\n"
        "@@ -1,5 +1,5 @@\n line1\n-line2\n+x2\n line3\n line4\n line5\n"
        "@@ -15,6 +15,6 @@\n line15\n line16\n line17\n-line18\n+x18\n line19\n line20\n");
}

TEST_CASE("UnifiedDiff from an empty text is one insertion hunk starting at 0") {
  CHECK(UnifiedDiff("", "a\nb\n", "/dev/null", "new") ==
        "--- /dev/null\n+++ new\n@@ -0,0 +1,2 @@\n+a\n+b\n");
}

TEST_CASE("UnifiedDiff to an empty text is one deletion hunk ending at 0") {
  CHECK(UnifiedDiff("a\n", "", "old", "/dev/null") ==
        "--- old\n+++ /dev/null\n@@ -1 +0,0 @@\n-a\n");
}

TEST_CASE("UnifiedDiff of a pure insertion names the line before it") {
  CHECK(UnifiedDiff("a\nb\nc\n", "a\nb\nnew\nc\n", "o", "n") ==
        "--- o\n+++ n\n@@ -1,3 +1,4 @@\n a\n b\n+new\n c\n");
}

TEST_CASE("UnifiedDiff marks a last line without a newline") {
  CHECK(UnifiedDiff("a\nb", "a\nb\n", "o", "n") ==
        "--- o\n+++ n\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n");
}

TEST_CASE("UnifiedDiff finds the minimal edit for interleaved changes") {
  // Myers: a b c a b b a -> c b a b a c  (the classic example, 5 edits)
  std::string out = UnifiedDiff("a\nb\nc\na\nb\nb\na\n", "c\nb\na\nb\na\nc\n", "o", "n");
  int minus = 0, plus = 0;
  for (size_t pos = 0; (pos = out.find('\n', pos)) != std::string::npos; ++pos) {
    if (pos + 1 < out.size() && out[pos + 1] == '-' && out.compare(pos + 1, 3, "---") != 0) ++minus;
    if (pos + 1 < out.size() && out[pos + 1] == '+' && out.compare(pos + 1, 3, "+++") != 0) ++plus;
  }
  CHECK(minus + plus == 5);
}

TEST_CASE("UnifiedDiff with color wraps removed, added, hunk and header lines in ANSI codes") {
  std::string out = UnifiedDiff("a\n", "b\n", "o", "n", {.context = 3, .color = true});
  CHECK(out ==
        "\x1b[1m--- o\x1b[0m\n\x1b[1m+++ n\x1b[0m\n\x1b[36m@@ -1 +1 @@\x1b[0m\n"
        "\x1b[31m-a\x1b[0m\n\x1b[32m+b\x1b[0m\n");
}

TEST_CASE("UnifiedDiff of very different large texts is still a correct replacement") {
  std::string old_text, new_text;
  for (int i = 0; i < 3000; ++i) {
    old_text += "old" + std::to_string(i) + "\n";
    new_text += "new" + std::to_string(i) + "\n";
  }
  std::string out = UnifiedDiff(old_text, new_text, "o", "n");
  CHECK(out.rfind("--- o\n+++ n\n@@ -1,3000 +1,3000 @@\n-old0\n", 0) == 0);
  CHECK(out.find("+new2999\n") != std::string::npos);
}

}  // namespace prisn::cli
