#include "cli/printer.h"

#include <fmt/core.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace prisn::cli {
namespace {

size_t DisplayWidth(std::string_view s) {
  // Counts code points: continuation bytes (10xxxxxx) do not advance the column.
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

void RTrim(std::string& s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// True when a plain YAML scalar with this text would not read back as the
// same string under YAML 1.1 or 1.2 resolvers.
bool NeedsQuotes(const std::string& s) {
  if (s.empty()) return true;
  for (std::string_view word : {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}) {
    if (IEquals(s, word)) return true;
  }
  if (s.front() == ' ' || s.back() == ' ') return true;
  // Anything a number parser accepts whole: ints, floats, hex, octal, .inf.
  const char* begin = s.c_str();
  char* end = nullptr;
  std::strtod(begin, &end);
  if (end != begin && *end == '\0') return true;
  if (s.front() == '.' || s.front() == '+' || s.front() == '-' ||
      std::isdigit(static_cast<unsigned char>(s.front()))) {
    bool numeric_like = std::all_of(s.begin(), s.end(), [](char c) {
      return std::isdigit(static_cast<unsigned char>(c)) || c == '_' || c == ':' || c == '.' ||
             c == '+' || c == '-' || c == 'e' || c == 'E';
    });
    if (numeric_like) return true;  // 1_000, 1:30 (sexagesimal), 2024-01-21 (date)
  }
  return false;
}

void Emit(YAML::Emitter& out, const nlohmann::ordered_json& v) {
  switch (v.type()) {
    case nlohmann::ordered_json::value_t::object:
      // Empty containers inline ("labels: {}"), as kubectl and the canonical form print them.
      if (v.empty()) out << YAML::Flow;
      out << YAML::BeginMap;
      for (const auto& [key, value] : v.items()) {
        out << YAML::Key;
        if (NeedsQuotes(key)) out << YAML::DoubleQuoted;
        out << key << YAML::Value;
        Emit(out, value);
      }
      out << YAML::EndMap;
      break;
    case nlohmann::ordered_json::value_t::array:
      if (v.empty()) out << YAML::Flow;
      out << YAML::BeginSeq;
      for (const auto& item : v) Emit(out, item);
      out << YAML::EndSeq;
      break;
    case nlohmann::ordered_json::value_t::string: {
      const auto& s = v.get_ref<const std::string&>();
      if (s.find('\n') != std::string::npos) {
        out << YAML::Literal << s;
      } else if (NeedsQuotes(s)) {
        out << YAML::DoubleQuoted << s;
      } else {
        out << s;
      }
      break;
    }
    case nlohmann::ordered_json::value_t::boolean:
      out << v.get<bool>();
      break;
    case nlohmann::ordered_json::value_t::number_integer:
      out << v.get<std::int64_t>();
      break;
    case nlohmann::ordered_json::value_t::number_unsigned:
      out << v.get<std::uint64_t>();
      break;
    case nlohmann::ordered_json::value_t::number_float:
      out << v.dump();
      break;
    case nlohmann::ordered_json::value_t::null:
    case nlohmann::ordered_json::value_t::discarded:
      out << YAML::Null;
      break;
    case nlohmann::ordered_json::value_t::binary:
      out << YAML::Null;
      break;
  }
}

}  // namespace

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size(), "-");
  for (auto& c : cells) {
    if (c.empty()) c = "-";
  }
  rows_.push_back(std::move(cells));
}

std::string Table::Render() const {
  std::vector<size_t> widths(headers_.size());
  for (size_t i = 0; i < headers_.size(); ++i) widths[i] = DisplayWidth(headers_[i]);
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], DisplayWidth(row[i]));
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    std::string l;
    for (size_t i = 0; i < cells.size(); ++i) {
      l += cells[i];
      if (i + 1 < cells.size()) l.append(widths[i] - DisplayWidth(cells[i]) + 3, ' ');
    }
    RTrim(l);
    out += l;
    out += '\n';
  };
  line(headers_);
  for (const auto& row : rows_) line(row);
  return out;
}

std::string RenderFields(const std::vector<std::pair<std::string, std::string>>& fields,
                         int indent) {
  size_t width = 0;
  for (const auto& [key, value] : fields) width = std::max(width, DisplayWidth(key) + 1);
  std::string out;
  for (const auto& [key, value] : fields) {
    std::string l(static_cast<size_t>(indent), ' ');
    l += key + ":";
    l.append(width - DisplayWidth(key) - 1 + 2, ' ');
    l += value.empty() ? "-" : value;
    RTrim(l);
    out += l + '\n';
  }
  return out;
}

std::string ToYaml(const nlohmann::ordered_json& value) {
  YAML::Emitter out;
  out.SetIndent(2);
  out.SetNullFormat(YAML::LowerNull);
  Emit(out, value);
  std::string s = out.c_str();
  if (s.empty() || s.back() != '\n') s += '\n';
  return s;
}

std::string ToJson(const nlohmann::ordered_json& value) { return value.dump(2) + "\n"; }

void PrintOutput(std::string_view format, const nlohmann::ordered_json& data,
                 const std::function<std::string()>& text) {
  std::string out;
  if (format == "json") {
    out = ToJson(data);
  } else if (format == "yaml") {
    out = ToYaml(data);
  } else {
    out = text();
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
}

std::string FormatAge(std::chrono::seconds age) {
  auto s = age.count();
  if (s < 0) return "-";
  if (s < 120) return fmt::format("{}s", s);
  if (s < 2 * 3600) return fmt::format("{}m", s / 60);
  if (s < 2 * 86400) return fmt::format("{}h", s / 3600);
  if (s < 2 * 365 * 86400) return fmt::format("{}d", s / 86400);
  return fmt::format("{}y", s / (365 * 86400));
}

std::optional<std::int64_t> ParseRfc3339(std::string_view text) {
  std::string s(text);
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, consumed = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &year, &month, &day, &hour,
                  &minute, &second, &consumed) != 6) {
    return std::nullopt;
  }
  size_t pos = static_cast<size_t>(consumed);
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) ++pos;
  }
  std::int64_t offset = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh = 0, om = 0;
    if (std::sscanf(s.c_str() + pos + 1, "%2d:%2d", &oh, &om) != 2) return std::nullopt;
    offset = (s[pos] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size() || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
      minute > 59 || second > 60) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<std::int64_t>(timegm(&tm)) - offset;
}

std::string AgeOf(const nlohmann::ordered_json& time, std::chrono::system_clock::time_point now) {
  std::optional<std::int64_t> epoch;
  if (time.is_string()) {
    epoch = ParseRfc3339(time.get_ref<const std::string&>());
  } else if (time.is_number()) {
    epoch = time.get<std::int64_t>();
  }
  if (!epoch) return "-";
  auto now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  // A clock slightly ahead on the server is not a negative age.
  return FormatAge(std::chrono::seconds(std::max<std::int64_t>(0, now_s - *epoch)));
}

std::string Cell(const nlohmann::ordered_json& value) {
  if (value.is_null()) return "-";
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    return s.empty() ? "-" : s;
  }
  return value.dump();
}

}  // namespace prisn::cli
