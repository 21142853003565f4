#include "completion.h"

#include <iostream>
#include <map>

#include "output.h"

namespace pharosctl {
namespace {

// Subcommands and options of every node of the tree, keyed by the path
// of subcommand names (" policy explain").
void Walk(const CLI::App& app, const std::string& path,
          std::map<std::string, std::string>* subcommands,
          std::map<std::string, std::string>* options) {
  std::string subs, opts;
  for (const CLI::App* sub : app.get_subcommands({})) {
    subs += (subs.empty() ? "" : " ") + sub->get_name();
    Walk(*sub, path + " " + sub->get_name(), subcommands, options);
  }
  for (const CLI::Option* o : app.get_options()) {
    for (const std::string& name : o->get_lnames()) opts += (opts.empty() ? "--" : " --") + name;
    for (const std::string& name : o->get_snames()) opts += (opts.empty() ? "-" : " -") + name;
  }
  (*subcommands)[path] = subs;
  (*options)[path] = opts;
}

}  // namespace

int PrintCompletion(const CLI::App& app, const std::string& shell) {
  if (shell != "bash") {
    std::cerr << "pharosctl completion: only bash is supported (got '" << shell << "')\n";
    return kUsage;
  }
  std::map<std::string, std::string> subcommands, options;
  Walk(app, "_", &subcommands, &options);  // "_": the top (bash keys cannot be empty)
  std::cout << "# pharosctl bash completion: source <(pharosctl completion bash)\n"
               "declare -gA _pharosctl_subs=(\n";
  for (const auto& [path, subs] : subcommands)
    std::cout << "  [\"" << path << "\"]=\"" << subs << "\"\n";
  std::cout << ")\ndeclare -gA _pharosctl_opts=(\n";
  for (const auto& [path, opts] : options)
    std::cout << "  [\"" << path << "\"]=\"" << opts << "\"\n";
  std::cout << R"()
_pharosctl() {
  local cur="${COMP_WORDS[COMP_CWORD]}" path="_" word i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="${COMP_WORDS[i]}"
    [[ "$word" == -* ]] && continue
    [[ " ${_pharosctl_subs[$path]} " == *" $word "* ]] && path="$path $word"
  done
  COMPREPLY=($(compgen -W "${_pharosctl_subs[$path]} ${_pharosctl_opts[$path]} ${_pharosctl_opts[_]}" -- "$cur"))
}
complete -o default -F _pharosctl pharosctl
)";
  return kOk;
}

}  // namespace pharosctl
