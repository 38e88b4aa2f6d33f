#pragma once
// Small text helpers shared across libraries.

#include <string>
#include <string_view>

namespace prisn {

// ASCII-only lower case: names, hosts and keywords, never user prose, so
// the C locale's rules are the right ones.
inline std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// DNS-1123 label: 1-63 of [a-z0-9-], starting and ending with [a-z0-9]. The
// rule for every name that becomes a path segment or a DNS name.
inline bool IsDnsLabel(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(s.front()) || !alnum(s.back())) return false;
  for (char c : s) {
    if (!alnum(c) && c != '-') return false;
  }
  return true;
}

}  // namespace prisn
