// What the tender command prints: tables laid out as kubectl lays them out,
// JSON and YAML for `get`, the text of `describe`, event rows, apply's plan
// lines and the progress and failure lines of `apply --wait`. Pure
// formatting of the API's answers; no I/O, no clock (the caller passes
// `now`), never throws, and any field of an answer may be missing.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"

namespace tender {

enum class OutputFormat { kTable, kWide, kJson, kYaml, kName };

// "table" | "wide" | "json" | "yaml"; Invalid otherwise.
Result<OutputFormat> parseOutputFormat(const std::string& name);

// An age as kubectl shows it: "45s", "3m20s", "15m", "3h20m", "36h", "3d4h",
// "120d", "2y30d", "9y". A little in the future (clock skew) shows "0s".
std::string formatAge(std::chrono::milliseconds age);

// The age of an RFC 3339 timestamp at `now`; "<unknown>" when it is missing
// or malformed.
std::string ageSince(const std::string& rfc3339, WallTime now);

// Left-aligned columns, each as wide as its widest cell, three spaces apart;
// no trailing spaces. Every row has the header's number of cells.
std::string renderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows);

// Pretty JSON (two-space indent), newline-terminated.
std::string toJsonText(const nlohmann::json& value);

// Block-style YAML, newline-terminated. Strings that YAML would read as
// something else (numbers, booleans, null, timestamps, indicators, text with
// ": " or " #", control characters) are double-quoted.
std::string toYaml(const nlohmann::json& value);

// The objects of an answer: a list's "items", or the answer itself when it
// is one object.
std::vector<nlohmann::json> itemsOf(const nlohmann::json& answer);

// The table for `tender get RESOURCE`, RESOURCE being "services", "networks",
// "volumes" or "namespaces". `showNamespace` adds the NAMESPACE column (-A);
// `wide` (-o wide) adds columns after the usual ones:
//   services:    NAME PHASE READY RESTARTS AGE IMAGE       + PORTS MESSAGE
//                (wide: IMAGE says "build:CONTEXT" for a built image)
//   networks:    NAME DRIVER PHASE AGE   + ENGINE-NAME INTERNAL EXTERNAL MESSAGE
//   volumes:     NAME DRIVER PHASE AGE   + ENGINE-NAME EXTERNAL OPTIONS MESSAGE
//   namespaces:  NAME PHASE AGE          + MESSAGE
std::string renderResourceTable(const std::string& resource,
                                const std::vector<nlohmann::json>& items, bool showNamespace,
                                WallTime now, bool wide = false);

// A service's spec.ports ("127.0.0.1:18080:80", Compose short syntax as the
// API writes them) as `docker ps` shows them, comma-separated:
// "127.0.0.1:18080->80/tcp, 0.0.0.0:53->53/udp, 9000/tcp".
std::string formatPorts(const nlohmann::json& ports);

// The message of status.conditions[type == "Ready"], or "".
std::string readyMessage(const nlohmann::json& obj);

// --- apply -----------------------------------------------------------------

// The plan of a dry-run apply item, one indented line per action:
// "  recreate replica 0 (ns.svc.0): image changed\n"; "  no container
// changes\n" for an empty plan; "" when the item has no plan. The item's
// "warnings" come first: "  warning: ...".
std::string renderPlan(const nlohmann::json& item);

// --- apply --wait ----------------------------------------------------------

// Whether the controller has seen the service's current spec
// (status.observedGeneration >= metadata.generation).
bool serviceObserved(const nlohmann::json& svc);
// Observed, and Running with every replica ready, or Completed, or Stopped.
bool serviceReady(const nlohmann::json& svc);
// Observed and Failed: waiting longer will not help.
bool serviceFailed(const nlohmann::json& svc);

// "service/api: Starting 1/2 ready" (`ref` is "service/api" or
// "shop/service/api"); says when the controller has not yet seen the
// current generation.
std::string waitProgressLine(const std::string& ref, const nlohmann::json& svc);

// Why a service is not ready, for when the wait gives up:
// "service/api is not ready: phase CrashLoopBackOff: 0/1 replicas ready;
// replica 0 (shop.api.0): exited, exit code 1, CrashLoopBackOff, next
// restart at 2023-11-14T22:13:30Z".
std::string waitFailureLine(const std::string& ref, const nlohmann::json& svc);

// --- describe --------------------------------------------------------------

// `tender describe service`: the service's identity, spec, status,
// conditions, replicas and their last terminations, then `events` (an
// EventList answer or its items; the last 20 are shown) with their ages at
// `now`.
std::string describeService(const nlohmann::json& svc, const nlohmann::json& events,
                            WallTime now);

// `tender describe network|volume|namespace`: identity, spec and status as
// indented YAML, then the events.
std::string describeObject(const nlohmann::json& obj, const nlohmann::json& events, WallTime now);

// --- events ----------------------------------------------------------------

// "service/api": the involved object's kind in lower case and its name.
std::string eventObject(const nlohmann::json& event);

// The table of `tender events`: LAST SEEN TYPE REASON OBJECT MESSAGE
// (NAMESPACE first when `showNamespace`).
std::string renderEventTable(const std::vector<nlohmann::json>& events, bool showNamespace,
                             WallTime now);

// `tender events --watch` prints rows as they come, so its columns have
// fixed widths (a longer cell pushes the rest right): the header, then one
// line per event.
std::string eventWatchHeader(bool showNamespace);
std::string eventWatchLine(const nlohmann::json& event, bool showNamespace, WallTime now);

}  // namespace tender
