#include "manifests/decode_util.h"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include "util/strings.h"

namespace prisn::manifests::internal {
namespace {

// Keys from other systems (mostly Kubernetes) that people carry over.
std::string ForeignKeyHint(std::string_view key) {
  if (key == "image" || key == "containers" || key == "imagePullPolicy" || key == "initContainers") {
    return "prisn runs scripts, not container images: use source.path or source.inline";
  }
  if (key == "status") return "status is reported by prisn; remove it from the manifest";
  if (key == "livenessProbe" || key == "readinessProbe" || key == "startupProbe") {
    return "use healthCheck (readiness and liveness), and livenessCheck to separate liveness";
  }
  if (key == "template" || key == "selector") {
    return "prisn has no pod template: write the workload's fields directly under spec";
  }
  if (key == "jobTemplate") return "write the job's fields (source, args, ...) directly under spec";
  return {};
}

bool IsPlainInteger(std::string_view s) {
  if (s.starts_with('-') || s.starts_with('+')) s.remove_prefix(1);
  return !s.empty() && s.size() <= 18 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string RangeText(std::int64_t min, std::int64_t max) {
  if (max >= 1000000000) {
    return min == 0 ? "a non-negative integer" : fmt::format("an integer of at least {}", min);
  }
  return fmt::format("an integer from {} to {}", min, max);
}

std::string NumberWordHint(std::string_view s) {
  static constexpr std::array<std::string_view, 11> kWords{
      "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"};
  std::string lower(s);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::size_t i = 0; i < kWords.size(); ++i) {
    if (lower == kWords[i]) return fmt::format("did you mean {}?", i);
  }
  return {};
}

// "10 minutes" -> "10m"; "1h 30m" -> "1h30m"; "30" -> "30s".
std::string DurationHint(std::string_view s, bool plain) {
  if (plain && IsPlainInteger(s)) return fmt::format("did you mean \"{}s\"?", s);
  std::string compact;
  for (char c : s) {
    if (c != ' ') compact += c;
  }
  if (compact != s && ParseDuration(compact)) return fmt::format("did you mean \"{}\"?", compact);
  std::size_t n = 0;
  while (n < s.size() && (std::isdigit(static_cast<unsigned char>(s[n])) || s[n] == '.')) ++n;
  if (n == 0) return {};
  std::string number(s.substr(0, n));
  std::string word(s.substr(n));
  word.erase(0, word.find_first_not_of(' '));
  for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  struct Unit {
    std::string_view suffix;
    std::initializer_list<std::string_view> words;
  };
  const std::array<Unit, 5> units{{
      {"ms", {"millisecond", "milliseconds", "msec", "msecs"}},
      {"s", {"sec", "secs", "second", "seconds", "S"}},
      {"m", {"min", "mins", "minute", "minutes", "M"}},
      {"h", {"hr", "hrs", "hour", "hours", "H"}},
      {"d", {"day", "days", "D"}},
  }};
  for (const auto& u : units) {
    for (auto w : u.words) {
      if (word == w) return fmt::format("did you mean \"{}{}\"?", number, u.suffix);
    }
  }
  return {};
}

std::string BytesHint(std::string_view s) {
  std::size_t n = 0;
  while (n < s.size() && (std::isdigit(static_cast<unsigned char>(s[n])) || s[n] == '.')) ++n;
  if (n == 0) return {};
  std::string number(s.substr(0, n));
  std::string unit(s.substr(n));
  unit.erase(0, unit.find_first_not_of(' '));
  std::string upper = unit;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 9> kMap{{
      {"KB", "Ki"}, {"MB", "Mi"}, {"GB", "Gi"}, {"TB", "Ti"},
      {"KIB", "Ki"}, {"MIB", "Mi"}, {"GIB", "Gi"}, {"TIB", "Ti"}, {"K", "Ki"},
  }};
  for (auto [from, to] : kMap) {
    if (upper == from) return fmt::format("did you mean \"{}{}\"? (Ki, Mi, Gi are powers of 1024)", number, to);
  }
  if (unit == "m") return fmt::format("\"m\" means one thousandth; did you mean \"{}Mi\"?", number);
  if (unit == "mi" || unit == "gi" || unit == "ki") {
    return fmt::format("did you mean \"{}{}\"?", number, static_cast<char>(std::toupper(unit[0])) + std::string("i"));
  }
  return {};
}

}  // namespace

void Ctx::Error(int line, int column, std::string field, std::string message, std::string hint) {
  ++errors_;
  diags_.push_back(Diagnostic{file_, line, column, std::move(field), std::move(message), std::move(hint)});
}

Fields::Fields(Ctx& ctx, const YNode& map, std::string path)
    : ctx_(ctx), map_(map), path_(std::move(path)), taken_(map.entries.size(), false) {}

std::string Fields::Path(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

bool Fields::Has(std::string_view key) const {
  return std::any_of(map_.entries.begin(), map_.entries.end(), [&](const YEntry& e) { return e.key == key; });
}

const YNode* Fields::Take(std::string_view key) {
  known_.emplace_back(key);
  for (std::size_t i = 0; i < map_.entries.size(); ++i) {
    const YEntry& e = map_.entries[i];
    if (e.key != key) continue;
    taken_[i] = true;
    ctx_.Record(Path(key), e.value);
    return e.value.type == YNode::Type::kNull ? nullptr : &e.value;
  }
  return nullptr;
}

void Fields::Finish(const MisplacedFields* misplaced) {
  for (std::size_t i = 0; i < map_.entries.size(); ++i) {
    if (taken_[i]) continue;
    const YEntry& e = map_.entries[i];
    if (misplaced) {
      auto it = misplaced->find(e.key);
      if (it != misplaced->end()) {
        ctx_.Error(e.line, e.column, Path(e.key), it->second.first, it->second.second);
        continue;
      }
    }
    std::string hint = ForeignKeyHint(e.key);
    if (hint.empty()) {
      std::string close = ClosestMatch(e.key, known_);
      if (!close.empty()) {
        hint = fmt::format("did you mean \"{}\"?", close);
      } else if (!known_.empty()) {
        std::vector<std::string> sorted = known_;
        std::sort(sorted.begin(), sorted.end());
        sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
        std::string list;
        for (const auto& k : sorted) list += (list.empty() ? "" : ", ") + k;
        hint = "valid fields here: " + list;
      }
    }
    ctx_.Error(e.line, e.column, Path(e.key), fmt::format("unknown field \"{}\"", e.key), hint);
  }
}

bool ExpectMap(Ctx& ctx, const YNode& n, const std::string& path, std::string_view what) {
  if (n.type == YNode::Type::kMap) return true;
  ctx.Error(n, path, fmt::format("expected {}, found {}", what, Describe(n)));
  return false;
}

std::optional<std::string> ReadString(Ctx& ctx, const YNode* n, const std::string& path) {
  if (!n) return std::nullopt;
  if (n->type != YNode::Type::kScalar) {
    ctx.Error(*n, path, "expected a string, found " + Describe(*n));
    return std::nullopt;
  }
  return n->scalar;
}

std::optional<std::string> ReadNonEmptyString(Ctx& ctx, const YNode* n, const std::string& path) {
  auto s = ReadString(ctx, n, path);
  if (!s) return s;
  if (s->empty()) {
    ctx.Error(*n, path, "expected a non-empty string, found \"\"");
    return std::nullopt;
  }
  if (std::any_of(s->begin(), s->end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
    ctx.Error(*n, path, "expected a single-line string without control characters, found " + Describe(*n));
    return std::nullopt;
  }
  return s;
}

std::optional<std::int64_t> ReadInt(Ctx& ctx, const YNode* n, const std::string& path, std::int64_t min,
                                    std::int64_t max) {
  if (!n) return std::nullopt;
  const std::string want = RangeText(min, max);
  if (n->type != YNode::Type::kScalar) {
    ctx.Error(*n, path, fmt::format("expected {}, found {}", want, Describe(*n)));
    return std::nullopt;
  }
  if (!IsPlainInteger(n->scalar)) {
    ctx.Error(*n, path, fmt::format("expected {}, found {}", want, Describe(*n)), NumberWordHint(n->scalar));
    return std::nullopt;
  }
  if (!n->plain) {
    ctx.Error(*n, path, fmt::format("expected {}, found the string {}", want, Describe(*n)),
              "remove the quotes");
    return std::nullopt;
  }
  std::int64_t v = 0;
  std::string_view s = n->scalar;
  if (s.starts_with('+')) s.remove_prefix(1);
  std::from_chars(s.data(), s.data() + s.size(), v);
  if (v < min || v > max) {
    ctx.Error(*n, path, fmt::format("expected {}, found {}", want, n->scalar));
    return std::nullopt;
  }
  return v;
}

std::optional<bool> ReadBool(Ctx& ctx, const YNode* n, const std::string& path) {
  if (!n) return std::nullopt;
  if (n->type == YNode::Type::kScalar && n->plain) {
    const std::string& s = n->scalar;
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
  }
  std::string hint;
  if (n->type == YNode::Type::kScalar) {
    std::string l = n->scalar;
    for (char& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (l == "true" || l == "yes" || l == "on" || l == "y" || l == "1") hint = "did you mean true?";
    if (l == "false" || l == "no" || l == "off" || l == "n" || l == "0") hint = "did you mean false?";
  }
  ctx.Error(*n, path, "expected true or false, found " + Describe(*n), hint);
  return std::nullopt;
}

std::optional<Duration> ReadDuration(Ctx& ctx, const YNode* n, const std::string& path) {
  if (!n) return std::nullopt;
  if (n->type == YNode::Type::kScalar) {
    if (auto d = ParseDuration(n->scalar)) return d;
  }
  std::string found = Describe(*n);
  if (n->type == YNode::Type::kScalar && n->plain && IsPlainInteger(n->scalar)) {
    ctx.Error(*n, path, "expected a duration with a unit (ms, s, m, h, d), found " + found,
              DurationHint(n->scalar, true));
    return std::nullopt;
  }
  ctx.Error(*n, path, "expected a duration such as 30s, 10m or 1h30m, found " + found,
            n->type == YNode::Type::kScalar ? DurationHint(n->scalar, false) : "");
  return std::nullopt;
}

std::optional<Quantity> ReadCpu(Ctx& ctx, const YNode* n, const std::string& path) {
  if (!n) return std::nullopt;
  if (n->type == YNode::Type::kScalar) {
    if (auto q = ParseCpu(n->scalar)) return q;
  }
  std::string hint;
  if (n->type == YNode::Type::kScalar && n->scalar.ends_with('M') && ParseCpu(n->scalar.substr(0, n->scalar.size() - 1) + "m")) {
    hint = fmt::format("cpu uses a lowercase m for millicores: did you mean \"{}m\"?",
                       n->scalar.substr(0, n->scalar.size() - 1));
  }
  ctx.Error(*n, path, "expected a cpu amount of at least 1m, such as 500m, 0.5 or 2, found " + Describe(*n), hint);
  return std::nullopt;
}

std::optional<Quantity> ReadBytes(Ctx& ctx, const YNode* n, const std::string& path) {
  if (!n) return std::nullopt;
  if (n->type == YNode::Type::kScalar) {
    if (auto q = ParseBytes(n->scalar)) return q;
  }
  ctx.Error(*n, path, "expected a size such as 512Mi, 1Gi or 100M, found " + Describe(*n),
            n->type == YNode::Type::kScalar ? BytesHint(n->scalar) : "");
  return std::nullopt;
}

std::optional<IntOrPercent> ReadIntOrPercent(Ctx& ctx, const YNode* n, const std::string& path) {
  if (!n) return std::nullopt;
  if (n->type == YNode::Type::kScalar) {
    std::string_view s = n->scalar;
    bool percent = s.ends_with('%');
    if (percent) s.remove_suffix(1);
    int v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (!s.empty() && ec == std::errc() && end == s.data() + s.size() && v >= 0 &&
        (!percent || v <= 100) && (percent || n->plain)) {
      return IntOrPercent{v, percent};
    }
  }
  ctx.Error(*n, path, "expected a non-negative integer or a percentage such as 25%, found " + Describe(*n));
  return std::nullopt;
}

std::optional<std::vector<std::string>> ReadStringList(Ctx& ctx, const YNode* n, const std::string& path) {
  if (!n) return std::nullopt;
  if (n->type != YNode::Type::kSequence) {
    std::string hint;
    if (n->type == YNode::Type::kScalar) hint = fmt::format("write a list: [{}]", Describe(*n));
    ctx.Error(*n, path,
              fmt::format("expected a list of strings, found {}",
                          n->type == YNode::Type::kScalar ? "a string" : Describe(*n)),
              hint);
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (std::size_t i = 0; i < n->items.size(); ++i) {
    const YNode& item = n->items[i];
    std::string item_path = fmt::format("{}[{}]", path, i);
    if (item.type != YNode::Type::kScalar) {
      ctx.Error(item, item_path, "expected a string, found " + Describe(item),
                item.type == YNode::Type::kMap ? "quote list items that contain \": \"" : "");
      ok = false;
      continue;
    }
    ctx.Record(item_path, item);
    out.push_back(item.scalar);
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::map<std::string, std::string>> ReadStringMap(Ctx& ctx, const YNode* n,
                                                                const std::string& path) {
  if (!n) return std::nullopt;
  if (!ExpectMap(ctx, *n, path, "a mapping of names to strings")) return std::nullopt;
  std::map<std::string, std::string> out;
  bool ok = true;
  for (const auto& e : n->entries) {
    std::string item_path = path + "." + e.key;
    if (e.value.type != YNode::Type::kScalar) {
      const bool at_key = e.value.type == YNode::Type::kNull || e.value.line == 0;
      ctx.Error(at_key ? e.line : e.value.line, at_key ? e.column : e.value.column, item_path,
                "expected a string, found " + Describe(e.value),
                e.value.type == YNode::Type::kNull ? "write \"\" for an empty value" : "");
      ok = false;
      continue;
    }
    ctx.Record(item_path, e.value);
    out[e.key] = e.value.scalar;
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::string> ReadEnum(Ctx& ctx, const YNode* n, const std::string& path,
                                    std::initializer_list<std::string_view> values) {
  if (!n) return std::nullopt;
  std::vector<std::string> candidates(values.begin(), values.end());
  if (n->type == YNode::Type::kScalar) {
    for (auto v : values) {
      if (n->scalar == v) return n->scalar;
    }
  }
  std::string list;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    list += (i == 0 ? "" : i + 1 == candidates.size() ? " or " : ", ") + candidates[i];
  }
  std::string hint;
  if (n->type == YNode::Type::kScalar) {
    std::string close = ClosestMatch(n->scalar, candidates);
    if (!close.empty()) hint = fmt::format("did you mean \"{}\"?", close);
  }
  ctx.Error(*n, path, fmt::format("expected {}, found {}", list, Describe(*n)), hint);
  return std::nullopt;
}

std::string SuggestDnsLabel(std::string_view s) {
  std::string out;
  for (char c : s) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if ((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9')) {
      out += l;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  if (out.size() > 63) out.resize(63);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return IsDnsLabel(out) ? out : std::string();
}

std::optional<std::string> ReadName(Ctx& ctx, const YNode* n, const std::string& path) {
  auto s = ReadString(ctx, n, path);
  if (!s) return s;
  if (IsDnsLabel(*s)) return s;
  std::string suggestion = SuggestDnsLabel(*s);
  std::string hint = suggestion.empty() || suggestion == *s ? "" : fmt::format("did you mean \"{}\"?", suggestion);
  if (s->size() > 63) {
    ctx.Error(*n, path, fmt::format("the name is {} characters long; a name has at most 63", s->size()),
              "shorten it");
  } else {
    ctx.Error(*n, path,
              fmt::format("{} is not a valid name: use lowercase letters, digits and '-', starting and "
                          "ending with a letter or digit (at most 63)",
                          Describe(*n)),
              hint);
  }
  return std::nullopt;
}

bool IsEnvName(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s.front()))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

}  // namespace prisn::manifests::internal
