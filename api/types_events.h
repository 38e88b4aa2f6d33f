#pragma once
// The event log: GET /v1/events.

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "api/codec.h"

namespace prisn::api {

// One recorded change. kind, namespace and name are null for an event of no
// object (a token created, a source deleted).
struct EventView {
  int64_t id = 0;
  std::string time;  // RFC 3339
  std::optional<std::string> kind;
  std::optional<std::string> ns;
  std::optional<std::string> name;
  std::string type;
  std::string message;
  std::string actor;
  int64_t index = 0;  // the state index the event belongs to
};
constexpr auto Fields(std::type_identity<EventView>) {
  return std::tuple{Field{"id", &EventView::id},           Field{"time", &EventView::time},
                    Field{"kind", &EventView::kind},       Field{"namespace", &EventView::ns},
                    Field{"name", &EventView::name},       Field{"type", &EventView::type},
                    Field{"message", &EventView::message}, Field{"actor", &EventView::actor},
                    Field{"index", &EventView::index}};
}

// GET /v1/events: oldest first.
struct EventList {
  std::vector<EventView> items;
};
constexpr auto Fields(std::type_identity<EventList>) {
  return std::tuple{Field{"items", &EventList::items}};
}

}  // namespace prisn::api
