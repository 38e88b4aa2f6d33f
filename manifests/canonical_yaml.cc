// Canonical YAML for people (diffs): block style, the canonical JSON's key
// order, literal blocks for multi-line text, quotes only where needed.
#include <algorithm>
#include <cctype>

#include "manifests/canonical.h"

namespace prisn::manifests {
namespace {

using ojson = nlohmann::ordered_json;

bool LooksLikeOtherType(const std::string& s) {
  static const char* const kWords[] = {"true", "false", "null", "~", "yes", "no", "on", "off", "y", "n"};
  std::string lower = s;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* w : kWords) {
    if (lower == w) return true;
  }
  // Anything number-like (ints, floats, 0x.., .inf) stays quoted.
  return s.find_first_not_of("0123456789+-.eExXoObB_:") == std::string::npos ||
         lower == ".inf" || lower == "-.inf" || lower == ".nan";
}

bool IsPlainSafe(const std::string& s) {
  if (s.empty() || s.front() == ' ' || s.back() == ' ' || s.back() == ':') return false;
  if (std::string_view("-?:,[]{}#&*!|>'\"%@`").find(s.front()) != std::string_view::npos) return false;
  if (s.find(": ") != std::string::npos || s.find(" #") != std::string::npos) return false;
  if (std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    return false;
  }
  return !LooksLikeOtherType(s);
}

bool IsBlockSafe(const std::string& s) {
  if (s.find('\n') == std::string::npos || s.front() == ' ' || s.front() == '\n') return false;
  return std::none_of(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') || c == 0x7f;
  });
}

std::string Quote(const std::string& s) { return ojson(s).dump(-1, ' ', false, ojson::error_handler_t::replace); }

std::string Key(const std::string& k) { return IsPlainSafe(k) ? k : Quote(k); }

void EmitBlock(const std::string& s, int indent, std::string& out) {
  std::size_t trailing = 0;
  while (trailing < s.size() && s[s.size() - 1 - trailing] == '\n') ++trailing;
  out += trailing == 0 ? "|-" : trailing == 1 ? "|" : "|+";
  out += '\n';
  std::string body = s.substr(0, s.size() - trailing);
  std::size_t pos = 0;
  while (pos <= body.size()) {
    std::size_t eol = body.find('\n', pos);
    if (eol == std::string::npos) eol = body.size();
    std::string line = body.substr(pos, eol - pos);
    if (!line.empty()) out += std::string(indent, ' ') + line;
    out += '\n';
    pos = eol + 1;
  }
  for (std::size_t i = 1; i < trailing; ++i) out += '\n';
}

// Emits a scalar or an empty collection after "key: " or "- ".
bool EmitInline(const ojson& v, int indent, std::string& out) {
  if (v.is_object() && !v.empty()) return false;
  if (v.is_array() && !v.empty()) return false;
  if (v.is_object()) {
    out += "{}\n";
  } else if (v.is_array()) {
    out += "[]\n";
  } else if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (IsBlockSafe(s)) {
      EmitBlock(s, indent, out);
    } else {
      out += (IsPlainSafe(s) ? s : Quote(s)) + "\n";
    }
  } else {
    out += v.dump() + "\n";
  }
  return true;
}

void Emit(const ojson& v, int indent, std::string& out, bool first_inline = false);

void EmitObject(const ojson& v, int indent, std::string& out, bool first_inline) {
  bool first = true;
  for (const auto& [k, child] : v.items()) {
    if (!(first && first_inline)) out += std::string(indent, ' ');
    first = false;
    out += Key(k) + ":";
    if (child.is_object() && !child.empty()) {
      out += '\n';
      EmitObject(child, indent + 2, out, false);
    } else if (child.is_array() && !child.empty()) {
      out += '\n';
      Emit(child, indent + 2, out);
    } else {
      out += ' ';
      EmitInline(child, indent + 2, out);
    }
  }
}

void Emit(const ojson& v, int indent, std::string& out, bool first_inline) {
  if (v.is_object() && !v.empty()) return EmitObject(v, indent, out, first_inline);
  if (v.is_array() && !v.empty()) {
    for (const auto& item : v) {
      out += std::string(indent, ' ') + "- ";
      if (item.is_object() && !item.empty()) {
        EmitObject(item, indent + 2, out, true);
      } else if (item.is_array() && !item.empty()) {
        out += '\n';
        Emit(item, indent + 2, out);
      } else {
        EmitInline(item, indent + 2, out);
      }
    }
    return;
  }
  EmitInline(v, indent, out);
}

}  // namespace

std::string ToCanonicalYaml(const Object& object, bool mask_secrets) {
  std::string out;
  Emit(ToCanonicalJson(object, mask_secrets), 0, out);
  return out;
}

}  // namespace prisn::manifests
