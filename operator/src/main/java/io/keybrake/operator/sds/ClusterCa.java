package io.keybrake.operator.sds;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The cluster CA that signs the certificates Envoy terminates vendor hosts with: the CA's
 * certificate and key (cert-manager's {@code keybrake-ca} Secret, {@code tls.crt} and {@code
 * tls.key}). Signing uses BouncyCastle's certificate builder over JDK keys. Immutable and
 * thread-safe.
 */
public final class ClusterCa {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final X509Certificate certificate;
  private final PrivateKey key;

  public ClusterCa(X509Certificate certificate, PrivateKey key) {
    this.certificate = Objects.requireNonNull(certificate);
    this.key = Objects.requireNonNull(key);
  }

  /** Reads {@code tls.crt} and {@code tls.key} (PEM) from {@code dir}. */
  public static ClusterCa load(Path dir) throws IOException {
    try (PEMParser certs = new PEMParser(Files.newBufferedReader(dir.resolve("tls.crt")));
        PEMParser keys = new PEMParser(Files.newBufferedReader(dir.resolve("tls.key")))) {
      X509Certificate cert =
          new JcaX509CertificateConverter()
              .getCertificate((org.bouncycastle.cert.X509CertificateHolder) certs.readObject());
      Object k = keys.readObject();
      JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
      PrivateKey pk =
          k instanceof PEMKeyPair pair
              ? conv.getKeyPair(pair).getPrivate()
              : conv.getPrivateKey((PrivateKeyInfo) k);
      return new ClusterCa(cert, pk);
    } catch (GeneralSecurityException | ClassCastException e) {
      throw new IOException("the CA in " + dir + " is not a PEM certificate and key", e);
    }
  }

  /** A new self-signed CA (tests, and a cluster without cert-manager). */
  public static ClusterCa generate(String name, Instant now, Duration validity) {
    KeyPair pair = ecKeyPair();
    X500Name subject = new X500Name("CN=" + name);
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
                  subject,
                  serial(),
                  Date.from(now.minus(Duration.ofMinutes(5))),
                  Date.from(now.plus(validity)),
                  subject,
                  pair.getPublic())
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
              .addExtension(
                  Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
              .addExtension(
                  Extension.subjectKeyIdentifier,
                  false,
                  ext.createSubjectKeyIdentifier(pair.getPublic()));
      return new ClusterCa(sign(b, pair.getPrivate()), pair.getPrivate());
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot make a CA", e);
    }
  }

  public X509Certificate certificate() {
    return certificate;
  }

  /** A leaf certificate for {@code host}, valid from {@code now} for {@code validity}. */
  public IssuedCertificate issue(String host, Instant now, Duration validity) {
    KeyPair pair = ecKeyPair();
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      Instant notAfter = now.plus(validity);
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
                  certificate,
                  serial(),
                  Date.from(now.minus(Duration.ofMinutes(5))),
                  Date.from(notAfter),
                  new X500Name("CN=" + host),
                  pair.getPublic())
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
              .addExtension(
                  Extension.keyUsage,
                  true,
                  new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment))
              .addExtension(
                  Extension.extendedKeyUsage,
                  false,
                  new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
              .addExtension(
                  Extension.subjectAlternativeName,
                  false,
                  new GeneralNames(new GeneralName(GeneralName.dNSName, host)))
              .addExtension(
                  Extension.authorityKeyIdentifier,
                  false,
                  ext.createAuthorityKeyIdentifier(certificate))
              .addExtension(
                  Extension.subjectKeyIdentifier,
                  false,
                  ext.createSubjectKeyIdentifier(pair.getPublic()));
      X509Certificate leaf = sign(b, key);
      return new IssuedCertificate(
          host, pem(List.of(leaf, certificate)), pem(List.of(pair.getPrivate())), notAfter);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot issue a certificate for " + host, e);
    }
  }

  /** PEM text of certificates or keys. */
  static String pem(List<?> objects) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      for (Object o : objects) {
        w.writeObject(o);
      }
    }
    return out.toString();
  }

  /** The certificates in a PEM text. */
  public static List<X509Certificate> parseCertificates(String pem) throws IOException {
    try (PEMParser p = new PEMParser(new StringReader(pem))) {
      java.util.ArrayList<X509Certificate> out = new java.util.ArrayList<>();
      JcaX509CertificateConverter conv = new JcaX509CertificateConverter();
      Object o;
      while ((o = p.readObject()) != null) {
        out.add(conv.getCertificate((org.bouncycastle.cert.X509CertificateHolder) o));
      }
      return out;
    } catch (GeneralSecurityException e) {
      throw new IOException("not a certificate", e);
    }
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey signer)
      throws GeneralSecurityException {
    try {
      return new JcaX509CertificateConverter()
          .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  private static KeyPair ecKeyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("EC P-256 is missing from this JVM", e);
    }
  }

  private static BigInteger serial() {
    return new BigInteger(128, RANDOM);
  }
}
