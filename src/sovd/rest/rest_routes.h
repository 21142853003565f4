// The SOVD REST view (ASAM SOVD style, as Eclipse OpenSOVD serves it) of
// the same diagnostics core: which request means what, and how its answer
// looks. Pure: the server (rest_server.h) does the sockets.
//
//   GET    /sovd/v1/components                          the vehicle's ECUs
//   GET    /sovd/v1/components/{ecu}                    one ECU and its resources
//   GET    /sovd/v1/components/{ecu}/faults             ReadDTC  (?mask=0x09)
//   DELETE /sovd/v1/components/{ecu}/faults             ClearDTC
//   GET    /sovd/v1/components/{ecu}/data               the DIDs its description declares
//   GET    /sovd/v1/components/{ecu}/data/{did}         ReadDataByID (name or 0xF190)
//   PUT    /sovd/v1/components/{ecu}/data/{did}         WriteDataByID, body {"data": value}
//   GET    /sovd/v1/components/{ecu}/operations         the routines it declares
//   POST   /sovd/v1/components/{ecu}/operations/{r}/executions   start, body {"parameters":
//   {"option": "hex"}} GET    /sovd/v1/components/{ecu}/operations/{r}/executions   request results
//   DELETE /sovd/v1/components/{ecu}/operations/{r}/executions   stop
//
// {ecu} is the ECU's name or its logical address (0x0010).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <variant>

#include "absl/status/statusor.h"
#include "sovd/core/command.h"
#include "sovd/core/result.h"
#include "sovd/core/vehicle_config.h"

namespace pharos::sovd::rest {

struct RestRequest {
  std::string method;  // "GET", "PUT", ...
  std::string target;  // path and query
  std::string body;
};

struct RestResponse {
  int status = 200;
  nlohmann::json body;  // null: no body (204)
};

// A request answered from the configuration alone, or a command to run
// and how to render what it returns.
struct Listing {
  RestResponse response;
};
enum class Shape { kFaults, kCleared, kData, kWritten, kExecution };
struct CommandRoute {
  core::Command command;
  Shape shape;
};
using Route = std::variant<Listing, CommandRoute>;

// NOT_FOUND (404) for an unknown path, ECU, DID or routine; INVALID_ARGUMENT
// (400) for a bad query or body; UNIMPLEMENTED (405) for a method the path
// does not take.
absl::StatusOr<Route> RouteRequest(const core::VehicleSpec& vehicle, const RestRequest& request);

// The answer of a run: one ECU's result in its SOVD shape.
RestResponse Render(Shape shape, const core::EcuResult& result);

// A status as SOVD's error: the HTTP status and {"error_code", "message"}.
RestResponse ErrorResponse(const absl::Status& status);
int HttpStatusOf(absl::StatusCode code);

}  // namespace pharos::sovd::rest
