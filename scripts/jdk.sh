# Sourced by ./llm4j and ./llm4j-test: finds a JDK >= 25 and exports JAVA_HOME.
# Order: $JAVA_HOME, then the newest JDK under /usr/lib/jvm (and macOS's JavaVirtualMachines), then `java` on PATH.

llm4j_java_major() { # prints the feature version of the java binary $1, or nothing
  # the JDK's release file answers without starting a JVM (each start costs ~0.1 s of every launch)
  local release
  release="$(dirname "$(dirname "$1")")/release"
  if [ -f "$release" ]; then
    sed -n 's/^JAVA_VERSION="\([0-9][0-9]*\).*/\1/p' "$release" | head -n 1
    return
  fi
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9][0-9]*\).*/\1/p' | head -n 1
}

llm4j_find_jdk() {
  local min=25 candidate major best="" best_major=0
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
    major=$(llm4j_java_major "$JAVA_HOME/bin/java")
    if [ -n "$major" ] && [ "$major" -ge "$min" ]; then
      return 0
    fi
  fi
  for candidate in /usr/lib/jvm/*/ /Library/Java/JavaVirtualMachines/*/Contents/Home/; do
    candidate=${candidate%/}
    [ -x "$candidate/bin/javac" ] || continue
    major=$(llm4j_java_major "$candidate/bin/java")
    if [ -n "$major" ] && [ "$major" -ge "$min" ] && [ "$major" -gt "$best_major" ]; then
      best=$candidate
      best_major=$major
    fi
  done
  if [ -z "$best" ] && command -v javac >/dev/null 2>&1; then
    candidate=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
    major=$(llm4j_java_major "$candidate/bin/java")
    if [ -n "$major" ] && [ "$major" -ge "$min" ]; then
      best=$candidate
    fi
  fi
  if [ -z "$best" ]; then
    echo "llm4j: no JDK $min or newer found (looked at \$JAVA_HOME, /usr/lib/jvm and PATH); install one, e.g. Temurin 25, and set JAVA_HOME" >&2
    return 1
  fi
  export JAVA_HOME=$best
}
