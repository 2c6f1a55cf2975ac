package io.keybrake.harness.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RedisServerBinaryTest {
  @TempDir Path dir;

  @Test
  void missingRedisServerFailsWithHowToInstallIt() {
    assertThatThrownBy(() -> RedisServer.binary(Map.of("PATH", dir.toString())))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("apt-get install redis-server")
        .hasMessageContaining("KEYBRAKE_REDIS_SERVER");
  }

  @Test
  void redisServerIsFoundOnThePath() throws Exception {
    Path binary = executable(dir.resolve("redis-server"));

    assertThat(RedisServer.binary(Map.of("PATH", "/nonexistent:" + dir)))
        .isEqualTo(binary.toString());
  }

  @Test
  void theEnvironmentVariableWinsOverThePathAndMustNameAnExecutable() throws Exception {
    Path named = executable(dir.resolve("my-redis"));

    assertThat(RedisServer.binary(Map.of("KEYBRAKE_REDIS_SERVER", named.toString(), "PATH", "")))
        .isEqualTo(named.toString());
    assertThatThrownBy(
            () ->
                RedisServer.binary(Map.of("KEYBRAKE_REDIS_SERVER", dir.resolve("nope").toString())))
        .hasMessageContaining("is not an executable redis-server");
  }

  private static Path executable(Path path) throws Exception {
    Files.writeString(path, "#!/bin/sh\n");
    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
    return path;
  }
}
