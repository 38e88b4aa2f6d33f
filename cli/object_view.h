#pragma once
// How objects of the API (docs/API.md "Objects as JSON") read in text:
// listing columns per kind and the `describe` page. Status columns show what
// the daemon observed and "-" / "unknown" where it observed nothing.

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "api/types_events.h"
#include "api/types_objects.h"
#include "api/types_workloads.h"
#include "cli/printer.h"

namespace prisn::cli {

// The spec of an API object's stored manifest; an empty object when there
// is none.
nlohmann::ordered_json SpecOf(const api::ObjectView& object);

// Listing of objects of one kind (`kind` as in "Deployment"), or of mixed
// kinds when `kind` is empty (`prisn ls`: a TYPE column). With
// `with_namespace` a NAMESPACE column comes first.
Table ObjectTable(const std::vector<api::ObjectView>& items, std::string_view kind,
                  bool with_namespace, std::chrono::system_clock::time_point now);

// The `describe` page: fields, spec as YAML, source files, hold, events;
// with a workload's observed `status` (docs/API.md "Status"), its state and
// replicas too.
std::string DescribeText(const api::ObjectView& object, const std::vector<api::EventView>& events,
                         std::chrono::system_clock::time_point now,
                         const std::optional<api::WorkloadStatus>& status = std::nullopt);

// A UTC RFC 3339 time as local "YYYY-MM-DD HH:MM:SS" (or HH:MM when
// `minutes`); the input unchanged when it does not parse.
std::string LocalTime(const nlohmann::ordered_json& time, bool minutes = false);

}  // namespace prisn::cli
