// The query language of sdv.databroker.v1 subscriptions (KUKSA's
// QUERY.md, the subset Velocitas builds):
//   SELECT Vehicle.Speed
//   SELECT Vehicle.Speed, Vehicle.Cabin.Seat.Row1.Pos1.Position WHERE Vehicle.Speed > 50
//   SELECT Vehicle.Speed AS speed WHERE NOT (Vehicle.IsMoving = false OR Vehicle.Speed <= 0.5)
// Fields are signal paths or expressions (an expression needs AS); WHERE
// combines comparisons (= == != <> < > <= >=) with AND, OR, NOT and
// parentheses over paths and literals (numbers, 'strings', true, false).
// A signal without a value makes a comparison false. Knows no protobuf:
// it evaluates over the core's Values.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "broker/core/types.h"

namespace pharos::broker::query {

struct Expr;

class Query {
 public:
  // INVALID_ARGUMENT with the column of the problem.
  static absl::StatusOr<Query> Parse(std::string_view text);

  struct Field {
    std::string name;  // the path, or the AS alias
    std::shared_ptr<const Expr> expr;
  };
  const std::vector<Field>& fields() const { return fields_; }
  // Every path the query reads, SELECT and WHERE, each once.
  const std::vector<std::string>& paths() const { return paths_; }

  using Lookup = std::function<Value(std::string_view path)>;
  // nullopt when the WHERE condition does not hold; otherwise every field
  // with its value.
  std::optional<std::vector<std::pair<std::string, Value>>> Evaluate(const Lookup& lookup) const;

 private:
  std::vector<Field> fields_;
  std::shared_ptr<const Expr> where_;
  std::vector<std::string> paths_;
};

}  // namespace pharos::broker::query
