#include "broker/query/query.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <variant>

#include "fmt/format.h"

namespace pharos::broker::query {

struct Expr {
  enum class Kind { kPath, kLiteral, kNot, kAnd, kOr, kCompare } kind;
  std::string path;
  Value literal;
  std::string op;  // for kCompare
  std::shared_ptr<const Expr> left, right;
};

namespace {

struct Token {
  enum class Type { kWord, kNumber, kString, kSymbol, kEnd } type;
  std::string text;
  size_t column;  // 1-based
};

absl::Status Error(size_t column, std::string_view what) {
  return absl::InvalidArgumentError(fmt::format("query, column {}: {}", column, what));
}

absl::StatusOr<std::vector<Token>> Tokenize(std::string_view text) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    size_t start = i;
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) ||
                                 text[i] == '_' || text[i] == '.')) {
        ++i;
      }
      out.push_back({Token::Type::kWord, std::string(text.substr(start, i - start)), start + 1});
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '.' && i + 1 < text.size() &&
                std::isdigit(static_cast<unsigned char>(text[i + 1])))) {
      while (i < text.size() &&
             (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.' ||
              text[i] == 'e' || text[i] == 'E' ||
              ((text[i] == '-' || text[i] == '+') && (text[i - 1] == 'e' || text[i - 1] == 'E')))) {
        ++i;
      }
      out.push_back({Token::Type::kNumber, std::string(text.substr(start, i - start)), start + 1});
    } else if (c == '\'' || c == '"') {
      ++i;
      std::string value;
      while (i < text.size() && text[i] != c) value += text[i++];
      if (i >= text.size()) return Error(start + 1, "a string that is never closed");
      ++i;
      out.push_back({Token::Type::kString, value, start + 1});
    } else {
      static constexpr std::string_view kTwo[] = {"==", "!=", "<>", "<=", ">="};
      std::string_view two = text.substr(i, 2);
      if (std::find(std::begin(kTwo), std::end(kTwo), two) != std::end(kTwo)) {
        out.push_back({Token::Type::kSymbol, std::string(two), start + 1});
        i += 2;
      } else if (std::string_view("=<>(),-").find(c) != std::string_view::npos) {
        out.push_back({Token::Type::kSymbol, std::string(1, c), start + 1});
        ++i;
      } else {
        return Error(start + 1, fmt::format("unexpected character '{}'", c));
      }
    }
  }
  out.push_back({Token::Type::kEnd, "", text.size() + 1});
  return out;
}

bool IsKeyword(const Token& t, std::string_view word) {
  if (t.type != Token::Type::kWord || t.text.size() != word.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(t.text[i])) != word[i]) return false;
  }
  return true;
}

bool IsReserved(const Token& t) {
  for (std::string_view w : {"SELECT", "WHERE", "AS", "AND", "OR", "NOT", "TRUE", "FALSE"}) {
    if (IsKeyword(t, w)) return true;
  }
  return false;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  const Token& Peek() const { return tokens_[pos_]; }
  const Token& Take() { return tokens_[pos_++]; }
  bool TakeSymbol(std::string_view s) {
    if (Peek().type == Token::Type::kSymbol && Peek().text == s) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool TakeKeyword(std::string_view w) {
    if (IsKeyword(Peek(), w)) {
      ++pos_;
      return true;
    }
    return false;
  }

  absl::StatusOr<std::shared_ptr<const Expr>> Or() {
    auto left = And();
    if (!left.ok()) return left;
    while (TakeKeyword("OR")) {
      auto right = And();
      if (!right.ok()) return right;
      left = Node(Expr::Kind::kOr, *left, *right);
    }
    return left;
  }

  absl::StatusOr<std::shared_ptr<const Expr>> And() {
    auto left = Not();
    if (!left.ok()) return left;
    while (TakeKeyword("AND")) {
      auto right = Not();
      if (!right.ok()) return right;
      left = Node(Expr::Kind::kAnd, *left, *right);
    }
    return left;
  }

  absl::StatusOr<std::shared_ptr<const Expr>> Not() {
    if (TakeKeyword("NOT")) {
      auto inner = Not();
      if (!inner.ok()) return inner;
      return Node(Expr::Kind::kNot, *inner, nullptr);
    }
    return Compare();
  }

  absl::StatusOr<std::shared_ptr<const Expr>> Compare() {
    auto left = Primary();
    if (!left.ok()) return left;
    for (std::string_view op : {"=", "==", "!=", "<>", "<", ">", "<=", ">="}) {
      if (TakeSymbol(op)) {
        auto right = Primary();
        if (!right.ok()) return right;
        auto e = std::make_shared<Expr>();
        e->kind = Expr::Kind::kCompare;
        e->op = op == "==" ? "=" : op == "<>" ? "!=" : std::string(op);
        e->left = *left;
        e->right = *right;
        return std::shared_ptr<const Expr>(e);
      }
    }
    return left;
  }

  absl::StatusOr<std::shared_ptr<const Expr>> Primary() {
    const Token& t = Peek();
    auto e = std::make_shared<Expr>();
    if (TakeSymbol("(")) {
      auto inner = Or();
      if (!inner.ok()) return inner;
      if (!TakeSymbol(")")) return Error(Peek().column, "')' expected");
      return inner;
    }
    bool negative = TakeSymbol("-");
    const Token& n = Peek();
    if (n.type == Token::Type::kNumber) {
      Take();
      std::string text = (negative ? "-" : "") + n.text;
      e->kind = Expr::Kind::kLiteral;
      if (text.find_first_of(".eE") == std::string::npos) {
        try {
          e->literal = static_cast<int64_t>(std::stoll(text));
        } catch (...) {
          return Error(n.column, fmt::format("'{}' is not a number", text));
        }
      } else {
        char* end = nullptr;
        double d = std::strtod(text.c_str(), &end);
        if (!end || *end) return Error(n.column, fmt::format("'{}' is not a number", text));
        e->literal = d;
      }
      return std::shared_ptr<const Expr>(e);
    }
    if (negative) return Error(n.column, "a number is expected after '-'");
    if (t.type == Token::Type::kString) {
      Take();
      e->kind = Expr::Kind::kLiteral;
      e->literal = t.text;
      return std::shared_ptr<const Expr>(e);
    }
    if (IsKeyword(t, "TRUE") || IsKeyword(t, "FALSE")) {
      Take();
      e->kind = Expr::Kind::kLiteral;
      e->literal = IsKeyword(t, "TRUE");
      return std::shared_ptr<const Expr>(e);
    }
    if (t.type == Token::Type::kWord && !IsReserved(t)) {
      Take();
      if (t.text.back() == '.' || t.text.find("..") != std::string::npos) {
        return Error(t.column, fmt::format("'{}' is not a signal path", t.text));
      }
      e->kind = Expr::Kind::kPath;
      e->path = t.text;
      return std::shared_ptr<const Expr>(e);
    }
    if (t.type == Token::Type::kEnd)
      return Error(t.column, "the query ends where a value is expected");
    return Error(t.column, fmt::format("'{}' is not a value, a path or '('", t.text));
  }

 private:
  static std::shared_ptr<const Expr> Node(Expr::Kind kind, std::shared_ptr<const Expr> l,
                                          std::shared_ptr<const Expr> r) {
    auto e = std::make_shared<Expr>();
    e->kind = kind;
    e->left = std::move(l);
    e->right = std::move(r);
    return e;
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
};

void CollectPaths(const Expr* e, std::vector<std::string>& out) {
  if (!e) return;
  if (e->kind == Expr::Kind::kPath && std::find(out.begin(), out.end(), e->path) == out.end()) {
    out.push_back(e->path);
  }
  CollectPaths(e->left.get(), out);
  CollectPaths(e->right.get(), out);
}

// Numbers compare as numbers whatever their width; strings as strings;
// booleans as booleans. Anything else (none included) does not compare.
std::optional<int> Order(const Value& a, const Value& b) {
  auto number = [](const Value& v) -> std::optional<long double> {
    return std::visit(
        [](const auto& x) -> std::optional<long double> {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) return x;
          return std::nullopt;
        },
        v);
  };
  if (auto x = number(a), y = number(b); x && y) return *x < *y ? -1 : *x > *y ? 1 : 0;
  if (auto* x = std::get_if<std::string>(&a)) {
    if (auto* y = std::get_if<std::string>(&b)) return x->compare(*y) < 0 ? -1 : x->compare(*y) > 0;
  }
  if (auto* x = std::get_if<bool>(&a)) {
    if (auto* y = std::get_if<bool>(&b)) return int(*x) - int(*y);
  }
  return std::nullopt;
}

bool Truthy(const Value& v) {
  const bool* b = std::get_if<bool>(&v);
  return b && *b;
}

Value Eval(const Expr& e, const Query::Lookup& lookup) {
  switch (e.kind) {
    case Expr::Kind::kPath:
      return lookup(e.path);
    case Expr::Kind::kLiteral:
      return e.literal;
    case Expr::Kind::kNot:
      return !Truthy(Eval(*e.left, lookup));
    case Expr::Kind::kAnd:
      return Truthy(Eval(*e.left, lookup)) && Truthy(Eval(*e.right, lookup));
    case Expr::Kind::kOr:
      return Truthy(Eval(*e.left, lookup)) || Truthy(Eval(*e.right, lookup));
    case Expr::Kind::kCompare: {
      std::optional<int> order = Order(Eval(*e.left, lookup), Eval(*e.right, lookup));
      if (!order) return false;
      if (e.op == "=") return *order == 0;
      if (e.op == "!=") return *order != 0;
      if (e.op == "<") return *order < 0;
      if (e.op == ">") return *order > 0;
      if (e.op == "<=") return *order <= 0;
      return *order >= 0;
    }
  }
  return std::monostate{};
}

}  // namespace

absl::StatusOr<Query> Query::Parse(std::string_view text) {
  auto tokens = Tokenize(text);
  if (!tokens.ok()) return tokens.status();
  Parser p(*std::move(tokens));
  if (!p.TakeKeyword("SELECT")) return Error(p.Peek().column, "a query starts with SELECT");
  Query q;
  do {
    size_t column = p.Peek().column;
    auto expr = p.Or();
    if (!expr.ok()) return expr.status();
    Field field{"", *expr};
    if (p.TakeKeyword("AS")) {
      const Token& alias = p.Take();
      if (alias.type != Token::Type::kWord || IsReserved(alias)) {
        return Error(alias.column, "a name is expected after AS");
      }
      field.name = alias.text;
    } else if ((*expr)->kind == Expr::Kind::kPath) {
      field.name = (*expr)->path;
    } else {
      return Error(column, "a field that is an expression needs a name: add AS <name>");
    }
    q.fields_.push_back(std::move(field));
  } while (p.TakeSymbol(","));
  if (p.TakeKeyword("WHERE")) {
    auto where = p.Or();
    if (!where.ok()) return where.status();
    q.where_ = *where;
  }
  if (p.Peek().type != Token::Type::kEnd) {
    return Error(p.Peek().column, fmt::format("unexpected '{}'", p.Peek().text));
  }
  for (const Field& f : q.fields_) CollectPaths(f.expr.get(), q.paths_);
  CollectPaths(q.where_.get(), q.paths_);
  if (q.paths_.empty()) return Error(1, "the query reads no signal");
  return q;
}

std::optional<std::vector<std::pair<std::string, Value>>> Query::Evaluate(
    const Lookup& lookup) const {
  if (where_ && !Truthy(Eval(*where_, lookup))) return std::nullopt;
  std::vector<std::pair<std::string, Value>> out;
  out.reserve(fields_.size());
  for (const Field& f : fields_) out.emplace_back(f.name, Eval(*f.expr, lookup));
  return out;
}

}  // namespace pharos::broker::query
