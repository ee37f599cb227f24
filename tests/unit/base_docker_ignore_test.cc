// .dockerignore as Docker reads it, as a table: each pattern file, each
// path, left out or kept.
#include "base/docker_ignore.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tender {
namespace {

struct Case {
  const char* name;
  const char* patterns;
  std::vector<const char*> excluded;
  std::vector<const char*> kept;
};

TEST(DockerIgnore, PatternsExcludeAndExceptionsTakeBackAsDockerDoes) {
  const std::vector<Case> cases = {
      {"a plain name, and what is below it", "node_modules\n",
       {"node_modules", "node_modules/a/b.js"}, {"src/node_modules", "node_modules2"}},
      {"a leading slash and ./ are the context's root", "/build\n./dist/\n",
       {"build", "build/x", "dist/app.js"}, {"src/build"}},
      {"* stays within one part", "*.log\nsrc/*.tmp\n",
       {"a.log", "x.log/inner", "src/b.tmp"}, {"logs/a.log", "src/deep/b.tmp", "a.log.txt"}},
      {"** is any number of directories", "**/*.pyc\ndocs/**\n",
       {"a.pyc", "x/y/z.pyc", "docs/a", "docs/a/b"}, {"a.py", "docs"}},
      {"? and classes", "file?.txt\n[abc]x\n[!0-9]y\n",
       {"file1.txt", "ax", "cx", "zy"}, {"file10.txt", "dx", "5y"}},
      {"an exception takes a path back, the last match decides", "*.md\n!README.md\nREADME.md/x\n",
       {"CHANGES.md", "README.md/x"}, {"README.md"}},
      {"an exception inside an excluded folder", "vendor\n!vendor/keep\n",
       {"vendor", "vendor/other"}, {"vendor/keep", "vendor/keep/file"}},
      {"comments, blanks and spaces", "# secrets\n\n   .env   \n",
       {".env"}, {"# secrets", "env"}},
      {"escapes", "\\*literal\n",
       {"*literal"}, {"xliteral"}},
      {"cleaned paths", "a//b/./c\nx/../y\n",
       {"a/b/c", "y"}, {"a/b", "x/y"}},
      {"everything but the app", "*\n!app\n",
       {"secrets.txt", "Dockerfile"}, {"app", "app/main.go"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    DockerIgnore ignore = DockerIgnore::parse(c.patterns);
    for (const char* p : c.excluded) EXPECT_TRUE(ignore.excluded(p)) << p;
    for (const char* p : c.kept) EXPECT_FALSE(ignore.excluded(p)) << p;
  }
}

TEST(DockerIgnore, NoPatternsKeepEverything) {
  DockerIgnore ignore = DockerIgnore::parse("# nothing\n\n");
  EXPECT_TRUE(ignore.empty());
  EXPECT_FALSE(ignore.excluded("anything/at/all"));
}

}  // namespace
}  // namespace tender
