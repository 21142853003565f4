# Turns a VSS JSON file into a C++ source holding it as one string, so
# pharos-broker needs no data file at run time. -DIN=<json> -DOUT=<cc> -DNAME=<shown name>
file(READ ${IN} content)
file(WRITE ${OUT} "// Generated from ${NAME} by src/broker/vss/embed.cmake; do not edit.\n"
  "namespace pharos::broker::vss {\n"
  "extern const char* const kDefaultCatalogName = \"${NAME} (built in)\";\n"
  "extern const char* const kDefaultCatalogJson = R\"vss(${content})vss\";\n"
  "}  // namespace pharos::broker::vss\n")
