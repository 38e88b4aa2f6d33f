#include "cli/client.h"

#include <fmt/core.h>

#include <array>
#include <memory>

namespace prisn::cli {
namespace {

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

ErrorCode CodeFromName(std::string_view name, ErrorCode fallback) {
  // Codes of docs/API.md that have no ErrorCode of their own.
  if (name == "unauthenticated") return ErrorCode::kPermission;
  if (name == "method_not_allowed" || name == "too_large") return ErrorCode::kInvalid;
  for (ErrorCode code : {ErrorCode::kInvalid, ErrorCode::kNotFound, ErrorCode::kConflict,
                         ErrorCode::kIo, ErrorCode::kUnavailable, ErrorCode::kPermission,
                         ErrorCode::kTimeout, ErrorCode::kInternal}) {
    if (ErrorCodeName(code) == name) return code;
  }
  return fallback;
}

ErrorCode CodeFromStatus(long status) {
  switch (status) {
    case 400:
    case 413:
    case 415:
    case 422:
      return ErrorCode::kInvalid;
    case 401:
    case 403:
      return ErrorCode::kPermission;
    case 404:
      return ErrorCode::kNotFound;
    case 409:
    case 412:
      return ErrorCode::kConflict;
    case 408:
    case 504:
      return ErrorCode::kTimeout;
    case 502:
    case 503:
      return ErrorCode::kUnavailable;
    default:
      return ErrorCode::kInternal;
  }
}

std::string UnreachableMessage(const Connection& c) {
  return fmt::format(
      "no prisn server answers at {}; start one with `prisn server start` (or set "
      "PRISN_SERVER)",
      c.server);
}

}  // namespace

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char ch : text) {
    bool unreserved = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' || ch == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(ch));
    } else {
      out.push_back('%');
      out.push_back(kHex[ch >> 4]);
      out.push_back(kHex[ch & 0xF]);
    }
  }
  return out;
}

Error ErrorFromResponse(long status, std::string_view body) {
  ErrorCode code = CodeFromStatus(status);
  auto j = nlohmann::ordered_json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_discarded() && j.is_object() && j.contains("error")) {
    const auto& e = j["error"];
    if (e.is_object()) {
      std::string message = e.value("message", std::string());
      if (e.contains("code") && e["code"].is_string()) {
        code = CodeFromName(e["code"].get<std::string>(), code);
      }
      if (!message.empty()) return Error{code, std::move(message), {}};
    } else if (e.is_string()) {
      return Error{code, e.get<std::string>(), {}};
    }
  }
  std::string text(body.substr(0, 200));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return Error{code,
               text.empty() ? fmt::format("the server answered HTTP {}", status)
                            : fmt::format("the server answered HTTP {}: {}", status, text),
               {}};
}

ApiClient::ApiClient(Connection connection) : connection_(std::move(connection)) {}

Result<nlohmann::ordered_json> ApiClient::Get(std::string_view path) {
  return Send("GET", path, nullptr);
}
Result<nlohmann::ordered_json> ApiClient::Post(std::string_view path,
                                               const nlohmann::ordered_json& body) {
  return Send("POST", path, body);
}
Result<nlohmann::ordered_json> ApiClient::Put(std::string_view path,
                                              const nlohmann::ordered_json& body) {
  return Send("PUT", path, body);
}
Result<nlohmann::ordered_json> ApiClient::Delete(std::string_view path,
                                                 const nlohmann::ordered_json& body) {
  return Send("DELETE", path, body);
}

Result<nlohmann::ordered_json> ApiClient::Send(const char* method, std::string_view path,
                                               const nlohmann::ordered_json& body) {
  details_ = nullptr;
  std::string_view server = connection_.server;
  if (!server.starts_with("http://") && !server.starts_with("https://")) {
    return Fail(ErrorCode::kInvalid,
                fmt::format("not a server URL: \"{}\" (expected http://HOST:PORT)", server),
                "server from " + connection_.origin);
  }
  if (!curl_) {
    curl_.Reset(curl_easy_init());
    if (!curl_) return Fail(ErrorCode::kInternal, "cannot initialise libcurl");
  } else {
    // Keeps the connection cache, forgets the previous request's options.
    curl_easy_reset(curl_.Get());
  }
  CURL* h = curl_.Get();
  std::string url = connection_.server + std::string(path);
  std::string payload = body.is_null() ? std::string() : body.dump();
  std::string response;
  std::array<char, CURL_ERROR_SIZE> error_buffer{};

  Slist headers;
  auto add_header = [&headers](const std::string& line) {
    headers.reset(curl_slist_append(headers.release(), line.c_str()));
  };
  add_header("Accept: application/json");
  if (!payload.empty()) add_header("Content-Type: application/json");
  if (!connection_.token.empty()) add_header("Authorization: Bearer " + connection_.token);
  add_header("Expect:");  // no 100-continue round trip for large apply bodies

  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &AppendBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer.data());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 300000L);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "prisn-cli");
  if (!payload.empty() || std::string_view(method) != "GET") {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(payload.size()));
  }

  CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    switch (rc) {
      case CURLE_COULDNT_CONNECT:
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_COULDNT_RESOLVE_PROXY:
        return Fail(ErrorCode::kUnavailable, UnreachableMessage(connection_));
      case CURLE_OPERATION_TIMEDOUT:
        return Fail(
            ErrorCode::kTimeout,
            fmt::format("the prisn server at {} did not answer in time", connection_.server));
      case CURLE_URL_MALFORMAT:
      case CURLE_UNSUPPORTED_PROTOCOL:
        return Fail(
            ErrorCode::kInvalid,
            fmt::format("not a server URL: \"{}\" (expected http://HOST:PORT)", connection_.server),
            "server from " + connection_.origin);
      default: {
        std::string detail = error_buffer[0] != '\0' ? error_buffer.data() : curl_easy_strerror(rc);
        return Fail(ErrorCode::kUnavailable,
                    fmt::format("talking to the prisn server at {} failed: {}", connection_.server,
                                detail));
      }
    }
  }

  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status >= 300) {
    auto j = nlohmann::ordered_json::parse(response, nullptr, /*allow_exceptions=*/false);
    if (!j.is_discarded() && j.is_object() && j.contains("error") && j["error"].is_object()) {
      details_ = j["error"].value("details", nlohmann::ordered_json());
    }
    Error error = ErrorFromResponse(status, response);
    if (status == 401) {
      error.message += connection_.token.empty()
                           ? " (no token found: pass --token, set PRISN_TOKEN, or use the "
                             "context file `prisn server start` writes)"
                           : " (the token was refused: pass a valid one with --token or "
                             "PRISN_TOKEN)";
    }
    return std::unexpected(std::move(error));
  }
  if (response.empty()) return nlohmann::ordered_json();
  auto j = nlohmann::ordered_json::parse(response, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return Fail(ErrorCode::kInternal,
                fmt::format("the server at {} answered with something that is not JSON",
                            connection_.server),
                std::string(path));
  }
  return j;
}

}  // namespace prisn::cli
