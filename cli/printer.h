#pragma once
// Output of listings and results in the three formats every listing offers:
// `text` (aligned columns, as in the seed documents), `json` and `yaml`.

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace prisn::cli {

// Rows of text cells printed as columns separated by three spaces, each
// column as wide as its widest cell (counted in UTF-8 code points).
class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  // Missing cells print as "-", extra cells are an error of the caller and
  // are dropped.
  void AddRow(std::vector<std::string> cells);
  bool empty() const { return rows_.empty(); }
  // Header line and rows, each ending in '\n'; no trailing blanks.
  std::string Render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// "Key:  value" lines with the values aligned, as in `prisn describe`.
std::string RenderFields(const std::vector<std::pair<std::string, std::string>>& fields,
                         int indent = 0);

// Block-style YAML of a JSON value; strings that YAML would read as another
// type ("8080", "true", "null") are quoted, multi-line strings are literal
// blocks. Ends with '\n'.
std::string ToYaml(const nlohmann::ordered_json& value);

// JSON of a value, indented by two, ending with '\n'.
std::string ToJson(const nlohmann::ordered_json& value);

// Prints `data` as json or yaml, or the text that `text` renders, on stdout.
void PrintOutput(std::string_view format, const nlohmann::ordered_json& data,
                 const std::function<std::string()>& text);

// "45s", "12m", "3h", "2d", "1y" (the largest whole unit); "-" for negative.
std::string FormatAge(std::chrono::seconds age);

// The age of a time relative to `now`: an RFC 3339 string
// ("2024-01-21T10:30:00Z", fractional seconds and offsets allowed) or a number
// of seconds since the epoch; "-" for anything else.
std::string AgeOf(const nlohmann::ordered_json& time, std::chrono::system_clock::time_point now);

// Seconds since the epoch of an RFC 3339 time; nullopt when malformed.
std::optional<std::int64_t> ParseRfc3339(std::string_view text);

// A JSON scalar as a table cell: strings as is, numbers and booleans printed,
// null or missing as "-".
std::string Cell(const nlohmann::ordered_json& value);

}  // namespace prisn::cli
