#pragma once
// Reading one field of an API response for display. A missing field (or a
// response that is not an object) reads as "": display code shows
// what the daemon sent and never fails on what it left out.

#include <string>

namespace prisn::cli {

// The field's value if it is a string, else "".
template <typename Json>
std::string Str(const Json& o, const char* key) {
  if (!o.is_object()) return {};
  auto it = o.find(key);
  if (it == o.end() || !it->is_string()) return {};
  return it->template get<std::string>();
}

// The field as text: a string as is, any other value as JSON, null as "".
template <typename Json>
std::string StrOrDump(const Json& o, const char* key) {
  if (!o.is_object()) return {};
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return {};
  return it->is_string() ? it->template get<std::string>() : it->dump();
}

}  // namespace prisn::cli
