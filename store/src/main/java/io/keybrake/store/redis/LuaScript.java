package io.keybrake.store.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A Lua script from {@code resources/lua/}, with the SHA-1 Redis knows it by. Immutable.
 *
 * @param name file name without {@code .lua}
 * @param source the script
 * @param sha1 lower-case hex SHA-1 of the source, as {@code SCRIPT LOAD} returns it
 */
record LuaScript(String name, String source, String sha1) {

  /**
   * Reads {@code /lua/<name>.lua} from the class path. A line {@code --#include <other>} is
   * replaced by the source of {@code <other>.lua}, its own includes replaced in turn (Redis has no
   * include; combined scripts wrap the single steps' sources in local functions instead of
   * repeating them).
   */
  static LuaScript load(String name) {
    String full = expand(name);
    return new LuaScript(name, full, sha1(full));
  }

  private static String expand(String name) {
    String source = read(name);
    StringBuilder out = new StringBuilder(source.length());
    for (String line : source.split("\n", -1)) {
      if (line.startsWith(INCLUDE)) {
        out.append(expand(line.substring(INCLUDE.length()).trim()));
      } else {
        out.append(line).append('\n');
      }
    }
    return out.substring(0, out.length() - 1);
  }

  private static final String INCLUDE = "--#include ";

  private static String read(String name) {
    String path = "/lua/" + name + ".lua";
    try (InputStream in = LuaScript.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing script " + path);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String sha1(String source) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-1");
      return HexFormat.of().formatHex(md.digest(source.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
