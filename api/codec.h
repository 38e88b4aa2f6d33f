#pragma once
// The JSON codec of the API's types: each wire field is named once, in the
// type's field list, and both the daemon (encoding answers, decoding request
// bodies) and the CLI (the reverse) go through here.
//
// A type is codable when a `Fields(std::type_identity<T>)` function, found by
// argument-dependent lookup next to the type, returns a tuple of Field:
//
//   struct TokenView { std::string id; std::optional<std::string> ns; };
//   constexpr auto Fields(std::type_identity<TokenView>) {
//     return std::tuple{Field{"id", &TokenView::id}, Field{"namespace", &TokenView::ns}};
//   }
//
// Members may be strings, integers, bools, doubles, std::optional of those
// (null on the wire when empty), std::vector, std::map<std::string, V>,
// another codable type, or Json (passed through as is). An empty optional is
// null on the wire, or left out when its Field says Empty::kOmit.
//
// Decode fails (kInvalid) naming the field's path ("replicas[1].port: expected
// an integer, got \"x\""). kStrict, for what a client sends: a member the type
// does not have is an error (with the closest name), since {"dryrun": true}
// must never apply for real. kLenient, for what a daemon answers: unknown
// members are skipped, so an older CLI reads a newer daemon. A missing member
// keeps its default in both modes.

#include <fmt/core.h>

#include <cstdint>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "util/error.h"

namespace prisn::api {

using Json = nlohmann::ordered_json;

// How an empty std::optional member is written: as null (the default: the
// field is always there), or not at all (a field only some answers carry,
// such as a CronJob's schedule in a workload status).
enum class Empty { kNull, kOmit };

template <typename T, typename M>
struct Field {
  const char* name;
  M T::*member;
  Empty empty = Empty::kNull;
};

template <typename T>
concept Codable = requires {
  Fields(std::type_identity<T>{});
};

enum class DecodeMode { kStrict, kLenient };

namespace codec_detail {

template <typename V>
struct IsOptional : std::false_type {};
template <typename V>
struct IsOptional<std::optional<V>> : std::true_type {};
template <typename V>
struct IsVector : std::false_type {};
template <typename V>
struct IsVector<std::vector<V>> : std::true_type {};
template <typename V>
struct IsMap : std::false_type {};
template <typename V>
struct IsMap<std::map<std::string, V>> : std::true_type {};

// The member names of T, for "did you mean" in strict mode.
template <Codable T>
std::vector<std::string_view> Names() {
  std::vector<std::string_view> out;
  std::apply([&](const auto&... f) { (out.push_back(f.name), ...); },
             Fields(std::type_identity<T>{}));
  return out;
}

std::string Describe(const Json& j);
// The closest of `names` to `word` when one is close enough to be a typo.
std::optional<std::string_view> Closest(std::string_view word,
                                        const std::vector<std::string_view>& names);
Error WrongType(const std::string& path, const char* expected, const Json& j);

}  // namespace codec_detail

// The wire names of T's fields, in order (a route's accepted body members).
template <Codable T>
std::vector<std::string_view> FieldNames() {
  return codec_detail::Names<T>();
}

template <typename V>
Json Encode(const V& value);

template <typename V>
void EncodeInto(Json& out, const V& value) {
  using namespace codec_detail;
  if constexpr (IsOptional<V>::value) {
    if (value) {
      EncodeInto(out, *value);
    } else {
      out = nullptr;
    }
  } else if constexpr (IsVector<V>::value) {
    out = Json::array();
    for (const auto& item : value) out.push_back(Encode(item));
  } else if constexpr (IsMap<V>::value) {
    out = Json::object();
    for (const auto& [k, item] : value) out[k] = Encode(item);
  } else if constexpr (Codable<V>) {
    out = Json::object();
    auto one = [&](const auto& f) {
      using M = std::remove_cvref_t<decltype(value.*(f.member))>;
      if constexpr (IsOptional<M>::value) {
        if (f.empty == Empty::kOmit && !(value.*(f.member))) return;
      }
      out[f.name] = Encode(value.*(f.member));
    };
    std::apply([&](const auto&... f) { (one(f), ...); }, Fields(std::type_identity<V>{}));
  } else {
    out = value;
  }
}

template <typename V>
Json Encode(const V& value) {
  Json out;
  EncodeInto(out, value);
  return out;
}

template <typename V>
Status DecodeInto(const Json& j, V& out, DecodeMode mode, const std::string& path = "");

namespace codec_detail {

template <Codable T>
Status DecodeObject(const Json& j, T& out, DecodeMode mode, const std::string& path) {
  if (!j.is_object())
    return std::unexpected(WrongType(path.empty() ? "body" : path, "an object", j));
  const auto fields = Fields(std::type_identity<T>{});
  if (mode == DecodeMode::kStrict) {
    for (const auto& [key, value] : j.items()) {
      bool known = false;
      std::apply([&](const auto&... f) { ((known = known || key == f.name), ...); }, fields);
      if (known) continue;
      std::string where = path.empty() ? key : path + "." + key;
      std::string msg = fmt::format("unknown field \"{}\"", where);
      if (auto close = Closest(key, Names<T>()))
        msg += fmt::format(" (did you mean \"{}\"?)", *close);
      return Fail(ErrorCode::kInvalid, msg);
    }
  }
  Status st;
  std::apply(
      [&](const auto&... f) {
        auto one = [&](const auto& field) {
          if (!st) return;
          auto it = j.find(field.name);
          if (it == j.end()) return;
          std::string sub = path.empty() ? field.name : path + "." + field.name;
          st = DecodeInto(*it, out.*(field.member), mode, sub);
        };
        (one(f), ...);
      },
      fields);
  return st;
}

}  // namespace codec_detail

template <typename V>
Status DecodeInto(const Json& j, V& out, DecodeMode mode, const std::string& path) {
  using namespace codec_detail;
  const std::string& where = path.empty() ? std::string("body") : path;
  if constexpr (IsOptional<V>::value) {
    if (j.is_null()) {
      out.reset();
      return {};
    }
    typename V::value_type inner{};
    if (auto st = DecodeInto(j, inner, mode, path); !st) return st;
    out = std::move(inner);
    return {};
  } else if constexpr (std::is_same_v<V, Json>) {
    out = j;
    return {};
  } else if constexpr (IsVector<V>::value) {
    if (!j.is_array()) return std::unexpected(WrongType(where, "a list", j));
    out.clear();
    for (std::size_t i = 0; i < j.size(); ++i) {
      typename V::value_type item{};
      if (auto st = DecodeInto(j[i], item, mode, fmt::format("{}[{}]", path, i)); !st) return st;
      out.push_back(std::move(item));
    }
    return {};
  } else if constexpr (IsMap<V>::value) {
    if (!j.is_object()) return std::unexpected(WrongType(where, "an object", j));
    out.clear();
    for (const auto& [k, item] : j.items()) {
      typename V::mapped_type value{};
      if (auto st = DecodeInto(item, value, mode, path.empty() ? k : path + "." + k); !st)
        return st;
      out.emplace(k, std::move(value));
    }
    return {};
  } else if constexpr (Codable<V>) {
    return DecodeObject(j, out, mode, path);
  } else if constexpr (std::is_same_v<V, std::string>) {
    if (!j.is_string()) return std::unexpected(WrongType(where, "a string", j));
    out = j.template get<std::string>();
    return {};
  } else if constexpr (std::is_same_v<V, bool>) {
    if (!j.is_boolean()) return std::unexpected(WrongType(where, "true or false", j));
    out = j.template get<bool>();
    return {};
  } else if constexpr (std::is_integral_v<V>) {
    if (!j.is_number_integer()) return std::unexpected(WrongType(where, "an integer", j));
    if (j.is_number_unsigned()) {
      auto u = j.template get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(std::numeric_limits<V>::max()))
        return std::unexpected(WrongType(where, "a smaller integer", j));
      out = static_cast<V>(u);
    } else {
      auto s = j.template get<std::int64_t>();
      if (s < static_cast<std::int64_t>(std::numeric_limits<V>::min()) ||
          (s > 0 && static_cast<std::uint64_t>(s) >
                        static_cast<std::uint64_t>(std::numeric_limits<V>::max())))
        return std::unexpected(WrongType(where, "an integer in range", j));
      out = static_cast<V>(s);
    }
    return {};
  } else if constexpr (std::is_floating_point_v<V>) {
    if (!j.is_number()) return std::unexpected(WrongType(where, "a number", j));
    out = j.template get<V>();
    return {};
  } else {
    static_assert(sizeof(V) == 0, "api/codec.h: no JSON codec for this member type");
  }
}

template <typename V>
Result<V> Decode(const Json& j, DecodeMode mode) {
  V out{};
  if (auto st = DecodeInto(j, out, mode); !st) return std::unexpected(st.error());
  return out;
}

}  // namespace prisn::api
